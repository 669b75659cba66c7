// The widget controller (load, GPC, edits, save) and the <prefcenter-preferences> element.

import { ApiError, createApiClient, type ApiClient } from "./api";
import { configProblems, OBSERVED_ATTRIBUTES, readAttributes, resolveConfig, tokenBroken, type ConfigInput, type WidgetConfig } from "./config";
import { contactLines } from "./contacts";
import { effortQuestion } from "./feedback";
import { pickLocale, translator, type Translate } from "./i18n";
import { focusKey, renderCompact, renderFull, renderShell, setStatus, type Handlers, type Shell, type View } from "./render";
import {
  applyEdits,
  canUncheck,
  choiceEdits,
  hasEdits,
  initialChoices,
  planGpc,
  planWrites,
  signUpChannels,
  type ChoiceEdits,
  type Choices,
  type PlanContext,
} from "./state";
import { css } from "./styles";
import { sendPlanned } from "./sync";
import type { Catalog, Profile, Topic } from "./types";

export const ELEMENT_NAME = "prefcenter-preferences";
/** Fired on the element when the server says its subject token expired: the host page may set a fresh
 * `data-token` (the element starts again, unsaved changes restored) instead of asking for a reload. */
export const TOKEN_EXPIRED_EVENT = "prefcenter:token-expired";

/** The server's answer to an expired bearer token (401 with reason "expired"). */
function tokenExpired(err: unknown): boolean {
  if (!(err instanceof ApiError) || err.status !== 401) return false;
  const p = err.problem as { reason?: unknown; detail?: unknown } | null;
  return p?.reason === "expired" || (typeof p?.detail === "string" && /expired/.test(p.detail));
}

let sheet: CSSStyleSheet | null | undefined;
const gpcRuns = new Map<string, Promise<{ profile: Profile; topics: string[] }>>();

/** Shared constructable stylesheet where supported (not blocked by a strict style-src CSP). */
function applyStyles(shadow: ShadowRoot): void {
  if (sheet === undefined) {
    sheet = null;
    try {
      if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
      }
    } catch {
      sheet = null;
    }
  }
  if (sheet) shadow.adoptedStyleSheets = [sheet];
  else {
    const style = document.createElement("style");
    style.textContent = css;
    shadow.append(style);
  }
}

function safeStorage(kind: "sessionStorage" | "localStorage"): Storage | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}

export class PreferenceWidget {
  private readonly t: Translate;
  private readonly locale: string;
  private readonly client: ApiClient;
  private readonly shell: Shell;
  private catalog!: Catalog;
  private profile!: Profile;
  private base!: Choices;
  private choices!: Choices;
  private gpcTopics: string[] = [];
  private contacts: string[] = [];
  private saving = false;
  private alive = true;

  constructor(
    private readonly host: Element,
    readonly config: WidgetConfig,
  ) {
    this.locale = pickLocale(config.locale, typeof navigator !== "undefined" ? navigator.language : null);
    this.t = translator(this.locale);
    const shadow = host.shadowRoot ?? host.attachShadow({ mode: "open" });
    shadow.replaceChildren();
    applyStyles(shadow);
    this.shell = renderShell(shadow, this.locale, config.mode, this.t);
    this.client = createApiClient({ api: config.api, token: config.token, subject: config.subject ?? "", locale: this.locale });
  }

  destroy(): void {
    this.alive = false;
  }

  private get storageKey(): string {
    return `prefcenter:unsaved:${this.config.subject}`;
  }

  private get planContext(): PlanContext {
    const agent = this.config.mode === "agent";
    return {
      touchpoint: this.config.touchpoint,
      method: agent ? "verbal" : "checkbox",
      note: agent ? `recorded by agent ${this.config.agentId ?? "unknown"}` : undefined,
    };
  }

  async load(): Promise<void> {
    if (tokenBroken(this.config)) {
      setStatus(this.shell, "error", this.t("tokenBroken"));
      return;
    }
    const missing = configProblems(this.config);
    if (missing.length) {
      setStatus(this.shell, "error", this.t("notConfigured", { what: missing.join(", ") }));
      return;
    }
    setStatus(this.shell, "busy", this.t("loading"));
    try {
      const { catalog, profile } = (await this.client.getPreferenceCenter()).data;
      if (!this.alive) return;
      this.catalog = catalog;
      this.profile = profile;
      await this.honourGpc();
      await this.loadContacts();
      if (!this.alive) return;
      this.base = initialChoices(this.catalog, this.profile);
      const unsaved = this.readUnsaved();
      this.choices = unsaved ? applyEdits(this.base, unsaved) : this.base;
      this.render();
      const restored = hasEdits(choiceEdits(this.base, this.choices));
      setStatus(this.shell, "idle", restored ? this.t("restored") : "");
    } catch (err) {
      if (!this.alive) return;
      if (tokenExpired(err)) return this.expired("tokenExpired");
      setStatus(this.shell, "error", this.errorText(err, "loadError"), () => void this.load());
    }
  }

  /** Global Privacy Control: once per subject and browser, opt honour_gpc topics out. */
  private async honourGpc(): Promise<void> {
    const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
    if (nav.globalPrivacyControl !== true || this.config.mode === "agent") return;
    const flag = `prefcenter:gpc:${this.config.subject}`;
    const local = safeStorage("localStorage");
    try {
      if (local?.getItem(flag)) return;
    } catch {
      /* storage blocked: fall through; the plan is empty once applied */
    }
    // Several widgets on one page for the same subject share one GPC run.
    const runKey = `${this.config.api} ${this.config.subject}`;
    let run = gpcRuns.get(runKey);
    if (!run) {
      let topics: Topic[] = [];
      run = sendPlanned(this.client, this.profile, (p) => {
        const plan = planGpc(this.catalog, p, this.config.touchpoint);
        topics = plan.topics;
        return plan.writes;
      }).then((r) => ({ profile: r.profile, topics: r.sent ? topics.map((t) => t.name) : [] }));
      gpcRuns.set(runKey, run);
      run.then(
        () => {
          try {
            local?.setItem(flag, "1");
          } catch {
            /* ignore */
          }
        },
        () => undefined,
      );
      run.finally(() => gpcRuns.delete(runKey)).catch(() => undefined);
    }
    try {
      const result = await run;
      this.profile = result.profile;
      this.gpcTopics = result.topics;
    } catch (err) {
      // Not the user's own change: report it in the console and try again on the next load.
      console.warn("prefcenter: could not apply Global Privacy Control", err);
    }
  }

  /** Agent mode: the last contacts across channels, so the agent has the context. Best effort: a token
   * without interactions:read (403) or an older server shows the form without them. */
  private async loadContacts(): Promise<void> {
    if (this.config.mode !== "agent") return;
    try {
      const page = await this.client.getRecentContacts();
      this.contacts = contactLines(page.data.items, this.catalog.channels, new Date(), this.t, this.locale);
    } catch {
      this.contacts = [];
    }
  }

  private compactTopics(): Topic[] {
    const { topics } = this.catalog;
    const wanted = this.config.topics;
    if (wanted) return wanted.map((k) => topics.find((t) => t.key === k)).filter((t): t is Topic => !!t);
    return topics.filter((t) => t.legal_basis === "consent").slice(0, 2);
  }

  private signUpChannels(): Record<string, string[]> {
    return Object.fromEntries(this.compactTopics().map((t) => [t.key, signUpChannels(this.catalog, t, this.config.channels)]));
  }

  private view(): View {
    return {
      t: this.t,
      locale: this.locale,
      mode: this.config.mode,
      agentId: this.config.agentId,
      catalog: this.catalog,
      profile: this.profile,
      choices: this.choices,
      compactTopics: this.config.mode === "compact" ? this.compactTopics() : [],
      signUpChannels: this.config.mode === "compact" ? this.signUpChannels() : {},
      gpcTopics: this.gpcTopics,
      contacts: this.contacts,
    };
  }

  private handlers: Handlers = {
    setCell: (topic, channel, checked) => {
      const list = (this.choices.matrix[topic] ?? []).filter((c) => c !== channel);
      const next = checked ? [...list, channel] : list;
      this.update({ matrix: { ...this.choices.matrix, [topic]: next } });
      const found = this.catalog.topics.find((t) => t.key === topic);
      if (found) this.keepOneChannel(found, next);
    },
    setTopic: (key, checked) => {
      const topic = this.catalog.topics.find((t) => t.key === key);
      const channels = topic ? signUpChannels(this.catalog, topic, this.config.channels) : [];
      this.update({ matrix: { ...this.choices.matrix, [key]: checked ? channels : [] } });
    },
    setDoNotContact: (on) => {
      this.update({ doNotContact: on });
      const root = this.shell.body;
      root.querySelector('[data-pc="dnc"]')?.setAttribute("aria-checked", String(on));
      const fs = root.querySelector<HTMLFieldSetElement>('[data-pc="matrix"]');
      if (fs) fs.disabled = on;
    },
    setSetting: (key, value) => this.update({ [key]: value } as Partial<Choices>),
    save: () => void this.save(),
  };

  /** A service message: its last checked channel cannot be unchecked (the others can again). */
  private keepOneChannel(topic: Topic, checked: string[]): void {
    const cells = this.shell.body.querySelectorAll<HTMLInputElement>(`input[data-pc="cell"][data-topic="${topic.key}"]`);
    for (const cell of cells) {
      const channel = cell.getAttribute("data-channel") ?? "";
      if (checked.includes(channel)) cell.disabled = !canUncheck(topic, checked, channel);
    }
  }

  private update(patch: Partial<Choices>): void {
    this.choices = { ...this.choices, ...patch };
    this.writeUnsaved(choiceEdits(this.base, this.choices));
    if (this.shell.status.getAttribute("data-state") === "ok") setStatus(this.shell, "idle", "");
  }

  private render(): void {
    const shadow = this.host.shadowRoot!;
    const key = focusKey(shadow.activeElement);
    const view = this.view();
    this.shell.body.replaceChildren(this.config.mode === "compact" ? renderCompact(view, this.handlers) : renderFull(view, this.handlers));
    if (key) this.shell.body.querySelector<HTMLElement>(key)?.focus();
  }

  async save(): Promise<void> {
    if (this.saving || !this.catalog) return;
    const submitted = this.choices;
    const edits = choiceEdits(this.base, submitted);
    if (!hasEdits(edits)) {
      setStatus(this.shell, "ok", this.t("nothingToSave"));
      return;
    }
    this.saving = true;
    // aria-disabled, not disabled: a disabled button would drop keyboard focus.
    const button = this.shell.body.querySelector<HTMLButtonElement>('[data-pc="save"]');
    button?.setAttribute("aria-disabled", "true");
    setStatus(this.shell, "busy", this.t("saving"));
    try {
      const ctx = this.planContext;
      const result = await sendPlanned(this.client, this.profile, (p) =>
        planWrites(this.catalog, p, applyEdits(initialChoices(this.catalog, p), edits), ctx),
      );
      if (!this.alive) return;
      // Keep anything the user changed while the save was in flight.
      const later = choiceEdits(submitted, this.choices);
      this.profile = result.profile;
      this.base = initialChoices(this.catalog, this.profile);
      this.choices = applyEdits(this.base, later);
      this.writeUnsaved(later);
      this.render();
      setStatus(this.shell, "ok", this.t("saved"));
      this.askEffort();
    } catch (err) {
      if (!this.alive) return;
      button?.removeAttribute("aria-disabled");
      if (tokenExpired(err)) return this.expired("tokenExpiredSave");
      setStatus(this.shell, "error", this.errorText(err, "saveError"), () => {
        // The Try again button hides while saving; keep keyboard focus on the form.
        this.shell.body.querySelector<HTMLElement>('[data-pc="save"]')?.focus();
        void this.save();
      });
    } finally {
      this.saving = false;
    }
  }

  /** data-feedback="ces": after the first save of the session, one question; the answer is sent once
   * and never gets in the way (a failed send is not retried or shown). */
  private askEffort(): void {
    const store = safeStorage("sessionStorage");
    const key = `prefcenter:asked:${this.config.subject}`;
    if (!this.config.feedback || store?.getItem(key)) return;
    try {
      store?.setItem(key, "1");
    } catch {
      /* blocked storage: ask again next time */
    }
    this.shell.body.append(
      effortQuestion(this.t, (score) => void this.client.sendFeedback(score, this.config.touchpoint).catch(() => undefined)),
    );
  }

  /** The subject token expired: say so in the customer's words, offer no retry that cannot succeed, and
   * tell the host page, which may hand over a fresh token by setting data-token. */
  private expired(text: "tokenExpired" | "tokenExpiredSave"): void {
    setStatus(this.shell, "error", this.t(text));
    this.host.dispatchEvent(
      new CustomEvent(TOKEN_EXPIRED_EVENT, { bubbles: true, composed: true, detail: { subject: this.config.subject } }),
    );
  }

  private errorText(err: unknown, fallback: "loadError" | "saveError"): string {
    const status = err instanceof ApiError ? err.status : 0;
    if (status === 401 || status === 403) return this.t("authError");
    if (fallback === "loadError" && status === 404) return this.t("authError");
    return this.t(fallback);
  }

  private readUnsaved(): ChoiceEdits | null {
    try {
      const raw = safeStorage("sessionStorage")?.getItem(this.storageKey);
      const parsed = raw ? (JSON.parse(raw) as ChoiceEdits) : null;
      return parsed && parsed.cells && parsed.settings ? parsed : null;
    } catch {
      return null;
    }
  }

  private writeUnsaved(edits: ChoiceEdits): void {
    try {
      const store = safeStorage("sessionStorage");
      if (hasEdits(edits)) store?.setItem(this.storageKey, JSON.stringify(edits));
      else store?.removeItem(this.storageKey);
    } catch {
      /* storage full or blocked: the edits stay in memory */
    }
  }
}

const widgets = new WeakMap<Element, PreferenceWidget>();

/** Mount (or re-mount) the widget on any element. Config layers: script tag < element attributes < config. */
export function mount(el: Element, config: ConfigInput = {}, scriptConfig: ConfigInput = {}): PreferenceWidget {
  widgets.get(el)?.destroy();
  const widget = new PreferenceWidget(el, resolveConfig(scriptConfig, readAttributes(el), config));
  widgets.set(el, widget);
  void widget.load();
  return widget;
}

/** Define <prefcenter-preferences>; attributes on the element override the script tag's. */
export function defineElement(registry: CustomElementRegistry, scriptConfig: ConfigInput): void {
  class PrefCenterPreferences extends HTMLElement {
    static get observedAttributes(): string[] {
      return OBSERVED_ATTRIBUTES;
    }
    private queued = false;
    connectedCallback(): void {
      if (!widgets.has(this)) mount(this, {}, scriptConfig);
    }
    attributeChangedCallback(_name: string, oldValue: string | null, newValue: string | null): void {
      if (oldValue === newValue || !this.isConnected || !widgets.has(this) || this.queued) return;
      // Several attributes often change together (e.g. a token refresh): re-mount once.
      this.queued = true;
      queueMicrotask(() => {
        this.queued = false;
        mount(this, {}, scriptConfig);
      });
    }
  }
  registry.define(ELEMENT_NAME, PrefCenterPreferences);
}
