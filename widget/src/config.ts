// Reading the widget configuration from data-* attributes (script tag, then the element).

export type Mode = "full" | "compact" | "agent";

export interface WidgetConfig {
  api: string;
  token: string;
  subject: string | null;
  touchpoint: string;
  locale: string | null;
  mode: Mode;
  agentId: string | null;
  topics: string[] | null;
  /** data-channels: the channels a compact sign-up consents to (default: each topic's first channel). */
  channels: string[] | null;
  /** data-feedback="ces": ask one effort question after a save. */
  feedback: "ces" | null;
}

/** What the attributes say; every field optional so sources can be layered. */
export type ConfigInput = Partial<WidgetConfig>;

const ATTRIBUTES: Record<string, keyof WidgetConfig> = {
  "data-api": "api",
  "data-token": "token",
  "data-subject": "subject",
  "data-touchpoint": "touchpoint",
  "data-locale": "locale",
  "data-mode": "mode",
  "data-agent-id": "agentId",
  "data-topics": "topics",
  "data-channels": "channels",
  "data-feedback": "feedback",
};

export const OBSERVED_ATTRIBUTES = Object.keys(ATTRIBUTES);

const MODES: Mode[] = ["full", "compact", "agent"];

/** Config given by one element's data-* attributes (absent or empty attributes are skipped). */
export function readAttributes(el: Element | null | undefined): ConfigInput {
  const out: Record<string, unknown> = {};
  if (!el) return out;
  for (const [attr, field] of Object.entries(ATTRIBUTES)) {
    const raw = el.getAttribute(attr);
    if (raw == null || raw.trim() === "") continue;
    const value = raw.trim();
    if (field === "topics" || field === "channels") {
      out[field] = value.split(",").map((s) => s.trim()).filter(Boolean);
    } else if (field === "feedback") {
      if (value === "ces") out.feedback = value;
    } else if (field === "mode") {
      if ((MODES as string[]).includes(value)) out.mode = value;
    } else {
      out[field] = value;
    }
  }
  return out as ConfigInput;
}

const BUNDLE_SRC = /prefcenter(\.min)?\.js(\?|#|$)/;

/** The script tag that configures the widget. When the bundle is included twice (say, once plain and
 * once with data-* attributes), whichever copy runs first must still find the configured tag:
 * document.currentScript if it carries configuration, else the last prefcenter.js tag that does, else
 * the current or last prefcenter.js tag. */
export function findScript(doc: Document): HTMLScriptElement | null {
  const current = doc.currentScript instanceof HTMLScriptElement ? doc.currentScript : null;
  const configured = (s: HTMLScriptElement) => s.hasAttribute("data-api") || s.hasAttribute("data-token");
  if (current && BUNDLE_SRC.test(current.src) && configured(current)) return current;
  const ours = Array.from(doc.querySelectorAll<HTMLScriptElement>("script[src]")).filter((s) => BUNDLE_SRC.test(s.src));
  const withConfig = ours.filter(configured);
  if (withConfig.length) return withConfig[withConfig.length - 1];
  if (current && BUNDLE_SRC.test(current.src)) return current;
  return ours.length ? ours[ours.length - 1] : current;
}

/** Layer config sources (later wins) and fill in defaults. */
export function resolveConfig(...layers: ConfigInput[]): WidgetConfig {
  const merged: ConfigInput = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v !== undefined && v !== null && v !== "") (merged as Record<string, unknown>)[k] = v;
    }
  }
  const mode = merged.mode && MODES.includes(merged.mode) ? merged.mode : "full";
  const token = merged.token ?? "";
  return {
    api: (merged.api ?? "").replace(/\/+$/, ""),
    token,
    subject: merged.subject ?? subjectFromToken(token),
    touchpoint: merged.touchpoint ?? (mode === "agent" ? "support" : mode === "compact" ? "signup" : "web"),
    locale: merged.locale ?? null,
    mode,
    agentId: merged.agentId ?? null,
    topics: merged.topics && merged.topics.length ? merged.topics : null,
    channels: merged.channels && merged.channels.length ? merged.channels : null,
    feedback: merged.feedback === "ces" && mode !== "agent" ? "ces" : null,
  };
}

/** The `sub` claim of a JWT, decoded without verification (the server verifies). */
export function subjectFromToken(token: string | undefined | null): string | null {
  if (!token) return null;
  const parts = token.split(".");
  if (parts.length < 2) return null;
  try {
    let b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    b64 += "=".repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return typeof payload.sub === "string" && payload.sub ? payload.sub : null;
  } catch {
    return null;
  }
}

/** Problems that stop the widget from working at all (rendered instead of the form). */
export function configProblems(cfg: WidgetConfig): string[] {
  const problems: string[] = [];
  if (!cfg.api) problems.push("data-api");
  if (!cfg.token) problems.push("data-token");
  // A token that names no subject is broken (not a missing attribute): tokenBroken says so.
  if (!cfg.subject && !cfg.token) problems.push("data-subject");
  return problems;
}

/** A token was given, but it names no subject and no data-subject was set: it is not a token we can use. */
export function tokenBroken(cfg: WidgetConfig): boolean {
  return !!cfg.token && !cfg.subject;
}
