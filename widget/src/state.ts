// Pure decisions: what the profile means for the form, and which writes turn the user's
// choices into server state. No DOM, no I/O.

import type {
  Catalog,
  Consent,
  ConsentMethod,
  Frequency,
  PreferenceItem,
  PreferenceStatus,
  PreferencesPatch,
  Profile,
  Topic,
  Write,
} from "./types";

/** What the form shows: per topic the checked channels, plus the global settings. */
export interface Choices {
  matrix: Record<string, string[]>;
  doNotContact: boolean;
  preferredChannel: string | null;
  language: string | null;
  frequency: Frequency | null;
}

type SettingKey = "doNotContact" | "preferredChannel" | "language" | "frequency";
const SETTING_KEYS: SettingKey[] = ["doNotContact", "preferredChannel", "language", "frequency"];

/** The user's edits relative to a base: single cells ("topic channel" -> checked) and settings. */
export interface ChoiceEdits {
  cells: Record<string, boolean>;
  settings: Partial<Pick<Choices, SettingKey>>;
}

export interface PlanContext {
  touchpoint: string;
  method: ConsentMethod;
  /** evidence.note on consents (agent mode). */
  note?: string;
}

const ACTIVE = new Set(["granted", "pending_confirmation"]);

/** A service message: a topic that is not optional (catalog `optional: false`). It has no switch: the
 * customer chooses its channels and keeps at least one. Older servers send no flag: optional. */
export function isServiceMessage(topic: Topic): boolean {
  return topic.optional === false;
}

/** May `channel` be unchecked when `checked` are the topic's checked channels? Not the last one of a
 * service message. */
export function canUncheck(topic: Topic, checked: string[], channel: string): boolean {
  return !isServiceMessage(topic) || checked.some((c) => c !== channel);
}

/** The channels a compact sign-up consents to for `topic`: the wanted ones (data-channels) the topic
 * offers, else its first offered channel. Never every channel by surprise. */
export function signUpChannels(catalog: Catalog, topic: Topic, wanted: string[] | null): string[] {
  const offered = offeredChannels(catalog, topic);
  const chosen = wanted ? offered.filter((c) => wanted.includes(c)) : [];
  return chosen.length ? chosen : offered.slice(0, 1);
}

/** The topic's channels that the catalog knows, in catalog column order. */
export function offeredChannels(catalog: Catalog, topic: Topic): string[] {
  return catalog.channels.map((c) => c.key).filter((k) => topic.channels.includes(k));
}

export function activeConsents(profile: Profile, topicKey: string): Consent[] {
  return profile.consents.filter((c) => c.topic === topicKey && ACTIVE.has(c.status));
}

export function pendingConfirmation(profile: Profile, topicKey: string): boolean {
  return profile.consents.some((c) => c.topic === topicKey && c.status === "pending_confirmation");
}

function explicitStatus(profile: Profile, topic: string, channel: string): PreferenceStatus | null {
  let found: PreferenceStatus | null = null;
  for (const p of profile.preferences) if (p.topic === topic && p.channel === channel) found = p.status;
  return found;
}

/** Effective preference of a non-consent topic on a channel (opt-out model: in unless opted out). */
export function preferenceStatus(profile: Profile, topic: Topic, channel: string): PreferenceStatus {
  const own = explicitStatus(profile, topic.key, channel);
  if (own) return own;
  if (!topic.allow_when_channel_opted_out && explicitStatus(profile, "*", channel) === "opted_out") return "opted_out";
  return "opted_in";
}

function union(lists: string[][]): string[] {
  return Array.from(new Set(lists.flat()));
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export function cellKey(topic: string, channel: string): string {
  return topic + " " + channel;
}

/** The form's starting point, read from the profile. */
export function initialChoices(catalog: Catalog, profile: Profile): Choices {
  const matrix: Record<string, string[]> = {};
  for (const topic of catalog.topics) {
    matrix[topic.key] =
      topic.legal_basis === "consent"
        ? union(activeConsents(profile, topic.key).map((c) => c.channels))
        : offeredChannels(catalog, topic).filter((ch) => preferenceStatus(profile, topic, ch) === "opted_in");
  }
  const s = profile.settings;
  return {
    matrix,
    doNotContact: !!s.do_not_contact,
    preferredChannel: s.preferred_channel ?? null,
    language: s.language ?? null,
    frequency: s.frequency ?? null,
  };
}

/** What the user changed relative to base. */
export function choiceEdits(base: Choices, current: Choices): ChoiceEdits {
  const edits: ChoiceEdits = { cells: {}, settings: {} };
  const topics = new Set([...Object.keys(base.matrix), ...Object.keys(current.matrix)]);
  for (const topic of topics) {
    const before = base.matrix[topic] ?? [];
    const after = current.matrix[topic] ?? [];
    for (const ch of union([before, after])) {
      if (before.includes(ch) !== after.includes(ch)) edits.cells[cellKey(topic, ch)] = after.includes(ch);
    }
  }
  for (const k of SETTING_KEYS) {
    if (base[k] !== current[k]) (edits.settings as Record<string, unknown>)[k] = current[k];
  }
  return edits;
}

export function hasEdits(edits: ChoiceEdits): boolean {
  return Object.keys(edits.cells).length > 0 || Object.keys(edits.settings).length > 0;
}

/** Re-apply edits on top of a (possibly newer) base. */
export function applyEdits(base: Choices, edits: ChoiceEdits): Choices {
  const matrix: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(base.matrix)) matrix[k] = [...v];
  for (const [key, checked] of Object.entries(edits.cells)) {
    const [topic, channel] = key.split(" ");
    const list = (matrix[topic] ??= []);
    const at = list.indexOf(channel);
    if (checked && at < 0) list.push(channel);
    if (!checked && at >= 0) list.splice(at, 1);
  }
  return { ...base, ...edits.settings, matrix };
}

/**
 * The writes that turn `profile` into `choices`, in send order: one PATCH (preference items and
 * settings), then consent grants, then withdrawals (grant first so there is never a gap).
 *
 * Consent topics: the checked channels must equal the union of the active consents that are
 * kept. Active consents covering a channel that is no longer checked are withdrawn; if what
 * remains differs from the checked set, one new consent for the checked set is granted with
 * the current notice version.
 */
export function planWrites(catalog: Catalog, profile: Profile, choices: Choices, ctx: PlanContext): Write[] {
  const items: PreferenceItem[] = [];
  const grants: Write[] = [];
  const withdrawals: Write[] = [];

  for (const topic of catalog.topics) {
    const desired = choices.matrix[topic.key];
    if (!desired) continue;
    if (topic.legal_basis === "consent") {
      const active = activeConsents(profile, topic.key);
      const kept = active.filter((c) => c.channels.every((ch) => desired.includes(ch)));
      for (const c of active) {
        if (!kept.includes(c)) {
          withdrawals.push({
            kind: "withdraw",
            consentId: c.id,
            topic: topic.key,
            body: { touchpoint: ctx.touchpoint, method: ctx.method },
          });
        }
      }
      if (desired.length && topic.notice && !sameSet(union(kept.map((c) => c.channels)), desired)) {
        grants.push({
          kind: "grant",
          body: {
            topic: topic.key,
            channels: [...desired],
            notice_version: topic.notice.version,
            ...(topic.notice.locale ? { notice_locale: topic.notice.locale } : {}),
            method: ctx.method,
            touchpoint: ctx.touchpoint,
            ...(ctx.note ? { evidence: { note: ctx.note } } : {}),
          },
        });
        // An earlier explicit opt-out (e.g. from GPC) would otherwise still block the new consent.
        for (const ch of desired) {
          if (explicitStatus(profile, topic.key, ch) === "opted_out") items.push({ channel: ch, topic: topic.key, status: "opted_in" });
        }
      }
    } else {
      for (const ch of offeredChannels(catalog, topic)) {
        const now = preferenceStatus(profile, topic, ch) === "opted_in";
        const want = desired.includes(ch);
        if (now !== want) items.push({ channel: ch, topic: topic.key, status: want ? "opted_in" : "opted_out" });
      }
    }
  }

  const patch: PreferencesPatch = { touchpoint: ctx.touchpoint };
  let changed = items.length > 0;
  if (items.length) patch.items = items;
  const s = profile.settings;
  if (choices.doNotContact !== !!s.do_not_contact) (patch.do_not_contact = choices.doNotContact), (changed = true);
  if (choices.preferredChannel !== (s.preferred_channel ?? null)) (patch.preferred_channel = choices.preferredChannel), (changed = true);
  if (choices.language !== (s.language ?? null)) (patch.language = choices.language), (changed = true);
  if (choices.frequency !== (s.frequency ?? null)) (patch.frequency = choices.frequency), (changed = true);

  return [...(changed ? [{ kind: "preferences" as const, body: patch }] : []), ...grants, ...withdrawals];
}

/** Is the topic already out everywhere (no active consent / every channel opted out)? */
function alreadyOptedOut(catalog: Catalog, profile: Profile, topic: Topic): boolean {
  if (activeConsents(profile, topic.key).length) return false;
  if (topic.legal_basis === "consent") return true;
  return offeredChannels(catalog, topic).every((ch) => preferenceStatus(profile, topic, ch) === "opted_out");
}

export interface GpcPlan {
  topics: Topic[];
  writes: Write[];
}

/**
 * Global Privacy Control: opt the honour_gpc topics that are not already out out of all their
 * channels (one PATCH, reason "gpc") and withdraw their active consents with method "gpc".
 */
export function planGpc(catalog: Catalog, profile: Profile, touchpoint: string): GpcPlan {
  const topics = catalog.topics.filter((t) => t.honour_gpc && !alreadyOptedOut(catalog, profile, t));
  if (!topics.length) return { topics, writes: [] };
  const items: PreferenceItem[] = topics.flatMap((t) =>
    t.channels.map((channel) => ({ channel, topic: t.key, status: "opted_out" as const })),
  );
  const writes: Write[] = [{ kind: "preferences", body: { touchpoint, reason: "gpc", items } }];
  for (const t of topics) {
    for (const c of activeConsents(profile, t.key)) {
      writes.push({ kind: "withdraw", consentId: c.id, topic: t.key, body: { touchpoint, method: "gpc", reason: "gpc" } });
    }
  }
  return { topics, writes };
}
