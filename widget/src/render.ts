// Building the widget's DOM. Plain elements, native inputs, stable data-pc hooks for tests.

import type { Mode } from "./config";
import { LANGUAGE_NAMES, LOCALES, type Translate } from "./i18n";
import { canUncheck, isServiceMessage, offeredChannels, pendingConfirmation, type Choices } from "./state";
import type { Catalog, Profile, Topic } from "./types";

type Child = Node | string | null | undefined | false;
type AttrValue = string | boolean | null | undefined | ((e: Event) => void);

const PROPS = new Set(["checked", "disabled", "hidden", "value"]);

export function h(tag: string, attrs: Record<string, AttrValue> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c != null && c !== false) el.append(c);
  return el;
}

export interface View {
  t: Translate;
  locale: string;
  mode: Mode;
  agentId: string | null;
  catalog: Catalog;
  profile: Profile;
  choices: Choices;
  /** compact mode: the topics to offer. */
  compactTopics: Topic[];
  /** compact mode: per topic, the channels its sign-up consents to (named next to the box). */
  signUpChannels: Record<string, string[]>;
  /** Names of topics opted out because of Global Privacy Control (shown once). */
  gpcTopics: string[];
  /** Agent mode: the customer's last contacts, one line each (contacts.ts). */
  contacts: string[];
}

export interface Handlers {
  setCell(topic: string, channel: string, checked: boolean): void;
  setTopic(topic: string, checked: boolean): void;
  setDoNotContact(on: boolean): void;
  setSetting(key: "preferredChannel" | "language" | "frequency", value: string | null): void;
  save(): void;
}

/** The parts that survive re-renders: body (replaced) and the live status region. */
export interface Shell {
  root: HTMLElement;
  body: HTMLElement;
  status: HTMLElement;
  retry: HTMLButtonElement;
}

export function renderShell(shadow: ShadowRoot, locale: string, mode: Mode, t: Translate): Shell {
  const body = h("div", { class: "pc-body" });
  const status = h("p", { class: "pc-status", role: "status", "aria-live": "polite", "data-pc": "status" });
  const retry = h("button", { type: "button", class: "pc-btn pc-secondary", "data-pc": "retry", hidden: true }, t("retry")) as HTMLButtonElement;
  const root = h("div", { class: "pc", lang: locale, "data-mode": mode }, body, h("div", { class: "pc-footer" }, status, retry));
  shadow.append(root);
  return { root, body, status, retry };
}

export type StatusKind = "idle" | "busy" | "ok" | "error";

export function setStatus(shell: Shell, kind: StatusKind, text: string, onRetry?: () => void): void {
  shell.status.textContent = text;
  shell.status.setAttribute("data-state", kind);
  shell.retry.hidden = !onRetry;
  shell.retry.onclick = onRetry ? () => onRetry() : null;
}

function notice(view: View): Child {
  return (
    view.gpcTopics.length > 0 &&
    h("p", { class: "pc-note", "data-pc": "gpc-notice" }, view.t("gpc", { topics: view.gpcTopics.join(", ") }))
  );
}

function pending(view: View, topic: Topic): Child {
  return pendingConfirmation(view.profile, topic.key) && h("p", { class: "pc-pending", "data-pc": "pending" }, view.t("pending"));
}

function select(id: string, hook: string, value: string | null, options: [string, string][], onChange: (v: string | null) => void): HTMLElement {
  const el = h(
    "select",
    { id, class: "pc-select", "data-pc": hook, onchange: (e) => onChange((e.target as HTMLSelectElement).value || null) },
    ...options.map(([v, label]) => h("option", { value: v }, label)),
  ) as HTMLSelectElement;
  el.value = value ?? "";
  return el;
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h("div", { class: "pc-field" }, h("label", { for: id }, label), control);
}

function topicHeader(view: View, topic: Topic): HTMLElement {
  const n = topic.notice;
  return h(
    "th",
    { scope: "row", class: "pc-topic" },
    h("span", { class: "pc-name", id: `pc-topic-${topic.key}` }, topic.name),
    isServiceMessage(topic) && h("span", { class: "pc-tag", "data-pc": "service-message" }, view.t("serviceMessage")),
    topic.description ? h("span", { class: "pc-desc" }, topic.description) : null,
    isServiceMessage(topic) && h("span", { class: "pc-desc", id: `pc-service-${topic.key}` }, view.t("serviceHint")),
    pending(view, topic),
    n && h("details", { class: "pc-details" }, h("summary", {}, view.t("readNotice")), h("p", { class: "pc-notice-text" }, n.text)),
  );
}

function matrix(view: View, handlers: Handlers): HTMLElement {
  const { t, catalog, choices } = view;
  const groups = new Map<string, Topic[]>();
  for (const topic of catalog.topics) {
    const g = topic.group ?? "";
    groups.set(g, [...(groups.get(g) ?? []), topic]);
  }
  const tables = Array.from(groups, ([group, topics]) =>
    h(
      "table",
      { class: "pc-table" },
      group ? h("caption", { class: "pc-group" }, group) : null,
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, t("topic")), ...catalog.channels.map((c) => h("th", { scope: "col" }, c.name))),
      ),
      h(
        "tbody",
        {},
        ...topics.map((topic) => {
          const offered = offeredChannels(catalog, topic);
          const checkedSet = choices.matrix[topic.key] ?? [];
          return h(
            "tr",
            { "data-topic": topic.key },
            topicHeader(view, topic),
            ...catalog.channels.map((ch) => {
              if (!offered.includes(ch.key)) {
                return h("td", { class: "pc-na" }, h("span", { "aria-hidden": "true" }, "—"), h("span", { class: "pc-vh" }, t("notOffered")));
              }
              const checked = checkedSet.includes(ch.key);
              // A consent topic without a notice can be withdrawn but not granted.
              const locked = topic.legal_basis === "consent" && !topic.notice && !checked;
              // A service message keeps at least one channel: its last checked box cannot be unchecked.
              const last = checked && !canUncheck(topic, checkedSet, ch.key);
              return h(
                "td",
                {},
                h(
                  "label",
                  { class: "pc-cell" },
                  h("input", {
                    type: "checkbox",
                    "aria-label": t("cellLabel", { topic: topic.name, channel: ch.name }),
                    "data-pc": "cell",
                    "data-topic": topic.key,
                    "data-channel": ch.key,
                    checked,
                    disabled: locked || last,
                    "aria-describedby": isServiceMessage(topic) ? `pc-service-${topic.key}` : null,
                    onchange: (e) => handlers.setCell(topic.key, ch.key, (e.target as HTMLInputElement).checked),
                  }),
                  h("span", { class: "pc-ch", "aria-hidden": "true" }, ch.name),
                ),
              );
            }),
          );
        }),
      ),
    ),
  );
  return h(
    "fieldset",
    { class: "pc-matrix", "data-pc": "matrix", disabled: choices.doNotContact },
    h("legend", { class: "pc-vh" }, t("matrixLegend")),
    ...tables,
  );
}

function settings(view: View, handlers: Handlers): HTMLElement {
  const { t, catalog, choices } = view;
  const none: [string, string] = ["", t("noPreference")];
  return h(
    "fieldset",
    { class: "pc-settings" },
    h("legend", {}, t("settings")),
    field(
      "pc-preferred-channel",
      t("preferredChannel"),
      select("pc-preferred-channel", "preferred-channel", choices.preferredChannel, [none, ...catalog.channels.map((c): [string, string] => [c.key, c.name])], (v) =>
        handlers.setSetting("preferredChannel", v),
      ),
    ),
    field(
      "pc-language",
      t("language"),
      select("pc-language", "language", choices.language, [none, ...LOCALES.map((l): [string, string] => [l, LANGUAGE_NAMES[l]])], (v) =>
        handlers.setSetting("language", v),
      ),
    ),
    field(
      "pc-frequency",
      t("frequency"),
      select(
        "pc-frequency",
        "frequency",
        choices.frequency,
        [none, ...(["immediate", "daily", "weekly", "monthly"] as const).map((f): [string, string] => [f, t(f)])],
        (v) => handlers.setSetting("frequency", v),
      ),
    ),
  );
}

function form(handlers: Handlers, title: string, ...children: Child[]): HTMLElement {
  return h(
    "form",
    {
      class: "pc-form",
      novalidate: true,
      "aria-labelledby": "pc-title",
      onsubmit: (e) => {
        e.preventDefault();
        handlers.save();
      },
    },
    h("h2", { id: "pc-title", class: "pc-title" }, title),
    ...children,
  );
}

export function renderFull(view: View, handlers: Handlers): HTMLElement {
  const { t, choices } = view;
  return form(
    handlers,
    t("title"),
    view.mode === "agent" && h("p", { class: "pc-banner", "data-pc": "agent-banner" }, t("agentBanner", { id: view.agentId ?? "?" })),
    view.contacts.length > 0 &&
      h(
        "section",
        { class: "pc-contacts", "aria-labelledby": "pc-contacts-title", "data-pc": "contacts" },
        h("h3", { id: "pc-contacts-title", class: "pc-name" }, t("recentContacts")),
        h("ul", {}, ...view.contacts.map((line) => h("li", {}, line))),
      ),
    notice(view),
    h(
      "div",
      { class: "pc-dnc" },
      h(
        "button",
        {
          type: "button",
          role: "switch",
          class: "pc-switch",
          "aria-checked": String(choices.doNotContact),
          "aria-describedby": "pc-dnc-hint",
          "data-pc": "dnc",
          onclick: (e) => handlers.setDoNotContact((e.currentTarget as HTMLElement).getAttribute("aria-checked") !== "true"),
        },
        h("span", { class: "pc-track", "aria-hidden": "true" }),
        h("span", {}, t("dnc")),
      ),
      h("p", { id: "pc-dnc-hint", class: "pc-hint" }, t("dncHint")),
    ),
    matrix(view, handlers),
    settings(view, handlers),
    h("div", { class: "pc-actions" }, h("button", { type: "submit", class: "pc-btn", "data-pc": "save" }, t("save"))),
  );
}

export function renderCompact(view: View, handlers: Handlers): HTMLElement {
  const { t, choices } = view;
  return form(
    handlers,
    t("compactTitle"),
    notice(view),
    ...view.compactTopics.map((topic) => {
      const id = `pc-consent-${topic.key}`;
      const text = topic.notice?.text ?? topic.description ?? "";
      const names = (view.signUpChannels[topic.key] ?? []).map((k) => view.catalog.channels.find((c) => c.key === k)?.name ?? k);
      return h(
        "div",
        { class: "pc-consent" },
        h("input", {
          type: "checkbox",
          id,
          "data-pc": "compact-checkbox",
          "data-topic": topic.key,
          "aria-describedby": text ? `${id}-text` : null,
          checked: (choices.matrix[topic.key] ?? []).length > 0,
          disabled: topic.legal_basis === "consent" && !topic.notice && !(choices.matrix[topic.key] ?? []).length,
          onchange: (e) => handlers.setTopic(topic.key, (e.target as HTMLInputElement).checked),
        }),
        h(
          "div",
          {},
          h(
            "label",
            { for: id },
            h("span", { class: "pc-name" }, topic.name),
            " ",
            h("span", { class: "pc-by", "data-pc": "compact-channels" }, t("byChannels", { channels: listOf(view.locale, names) })),
          ),
          text && h("p", { id: `${id}-text`, class: "pc-notice-text" }, text),
          pending(view, topic),
        ),
      );
    }),
    h("div", { class: "pc-actions" }, h("button", { type: "submit", class: "pc-btn", "data-pc": "save" }, t("signUp"))),
  );
}

/** "Email and SMS" in the page's language (a plain comma list where Intl.ListFormat is missing). */
function listOf(locale: string, items: string[]): string {
  const ListFormat = (Intl as { ListFormat?: new (l: string, o: object) => { format(x: string[]): string } }).ListFormat;
  return ListFormat ? new ListFormat(locale, { type: "conjunction" }).format(items) : items.join(", ");
}

/** A key that finds "the same" control after a re-render, to keep keyboard focus in place. */
export function focusKey(el: Element | null): string | null {
  if (!el || !el.getAttribute("data-pc")) return null;
  return ["data-pc", "data-topic", "data-channel"]
    .map((a) => (el.hasAttribute(a) ? `[${a}="${CSS_escape(el.getAttribute(a)!)}"]` : ""))
    .join("");
}

function CSS_escape(v: string): string {
  return v.replace(/["\\]/g, "\\$&");
}
