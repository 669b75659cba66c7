// Agent mode: the customer's last contacts across channels as short lines, e.g.
// "Chat yesterday about billing, transferred to Phone". Pure, no DOM.

import type { Translate } from "./i18n";
import type { Channel, Interaction } from "./types";

const DAY_MS = 86_400_000;

/** "today", "yesterday", "3 days ago", or the date, counted in calendar days of the viewer's time zone. */
export function contactDay(at: string, now: Date, t: Translate, locale: string): string {
  const when = new Date(at);
  const midnight = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((midnight(now) - midnight(when)) / DAY_MS);
  if (days <= 0) return t("today");
  if (days === 1) return t("yesterday");
  if (days < 7) return t("daysAgo", { n: String(days) });
  return when.toLocaleDateString(locale);
}

export function channelName(key: string, channels: Channel[]): string {
  const named = channels.find((c) => c.key === key)?.name;
  if (named) return named;
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One line per contact, newest first as given; a transfer names the channel of the contact that continued it. */
export function contactLines(items: Interaction[], channels: Channel[], now: Date, t: Translate, locale: string): string[] {
  return items.map((item) => {
    let line = `${channelName(item.channel, channels)} ${contactDay(item.occurred_at, now, t, locale)}`;
    if (item.topic) line += ` ${t("contactAbout", { topic: item.topic.replace(/_/g, " ") })}`;
    if (item.outcome === "transferred") {
      const next = items.find((other) => other.continues === item.id);
      line += `, ${next ? t("transferredTo", { channel: channelName(next.channel, channels) }) : t("transferred")}`;
    } else if (item.outcome === "resolved") line += `, ${t("resolved")}`;
    else if (item.outcome === "follow_up") line += `, ${t("followUp")}`;
    return line;
  });
}
