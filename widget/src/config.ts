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
    if (field === "topics") {
      out.topics = value.split(",").map((s) => s.trim()).filter(Boolean);
    } else if (field === "mode") {
      if ((MODES as string[]).includes(value)) out.mode = value;
    } else {
      out[field] = value;
    }
  }
  return out as ConfigInput;
}

/** The script tag that loaded the widget: document.currentScript, else the last prefcenter.js tag. */
export function findScript(doc: Document): HTMLScriptElement | null {
  const current = doc.currentScript;
  if (current instanceof HTMLScriptElement && /prefcenter(\.min)?\.js(\?|#|$)/.test(current.src)) return current;
  const tags = Array.from(doc.querySelectorAll<HTMLScriptElement>("script[src]"));
  const ours = tags.filter((s) => /prefcenter(\.min)?\.js(\?|#|$)/.test(s.src));
  return ours.length ? ours[ours.length - 1] : current instanceof HTMLScriptElement ? current : null;
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
  if (!cfg.subject) problems.push("data-subject");
  return problems;
}
