// Agent mode's recent contacts: the lines are pure (contacts.ts) and the element shows them.
import { describe, expect, it } from "vitest";
import { channelName, contactDay, contactLines } from "../src/contacts";
import { translator } from "../src/i18n";
import type { Interaction } from "../src/types";

const t = translator("en");
const channels = [{ key: "phone", name: "Phone" }, { key: "email", name: "Email" }];
const now = new Date(2026, 11, 3, 15, 0);

function contact(id: string, at: Date, extra: Partial<Interaction> = {}): Interaction {
  return { id, occurred_at: at.toISOString(), channel: "chat", touchpoint: "support", direction: "inbound", topic: null, outcome: null, continues: null, ...extra };
}

describe("recent contacts", () => {
  it("names the day in calendar days", () => {
    expect(contactDay(new Date(2026, 11, 3, 0, 5).toISOString(), now, t, "en")).toBe("today");
    expect(contactDay(new Date(2026, 11, 2, 23, 59).toISOString(), now, t, "en")).toBe("yesterday");
    expect(contactDay(new Date(2026, 10, 30, 9).toISOString(), now, t, "en")).toBe("3 days ago");
    expect(contactDay(new Date(2026, 9, 1).toISOString(), now, t, "en")).toBe(new Date(2026, 9, 1).toLocaleDateString("en"));
  });

  it("uses catalog names, else the key made readable", () => {
    expect(channelName("phone", channels)).toBe("Phone");
    expect(channelName("in_store", channels)).toBe("In store");
  });

  it("says where a transferred contact went, from the contact that continued it", () => {
    const chat = contact("a", new Date(2026, 11, 2, 10), { topic: "billing", outcome: "transferred" });
    const call = contact("b", new Date(2026, 11, 2, 11), { channel: "phone", outcome: "resolved", continues: "a", topic: "billing" });
    const mail = contact("c", new Date(2026, 11, 3, 9), { channel: "email", outcome: "follow_up" });
    const lone = contact("d", new Date(2026, 10, 29, 9), { channel: "social", outcome: "transferred", topic: "late_delivery" });
    expect(contactLines([mail, call, chat, lone], channels, now, t, "en")).toEqual([
      "Email today, follow-up needed",
      "Phone yesterday about billing, resolved",
      "Chat yesterday about billing, transferred to Phone",
      "Social 4 days ago about late delivery, transferred",
    ]);
  });

  it("speaks the widget's language", () => {
    const chat = contact("a", new Date(2026, 11, 2, 10), { topic: "billing", outcome: "transferred" });
    const call = contact("b", new Date(2026, 11, 2, 11), { channel: "phone", continues: "a" });
    expect(contactLines([call, chat], channels, now, translator("de"), "de")[1]).toBe(
      "Chat gestern zu billing, weitergeleitet an Phone",
    );
  });
});
