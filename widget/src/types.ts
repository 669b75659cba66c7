// Wire types from docs/api-contract.md (v1). Only the fields the widget reads are listed.

export type LegalBasis = "consent" | "legitimate_interest" | "contract" | "legal_obligation";
export type PreferenceStatus = "opted_in" | "opted_out";
export type ConsentStatus = "granted" | "withdrawn" | "pending_confirmation" | "expired";
export type ConsentMethod = "checkbox" | "verbal" | "signed_form" | "import" | "gpc" | "api" | "email_link";
export type Frequency = "immediate" | "daily" | "weekly" | "monthly";

export interface Channel {
  key: string;
  name: string;
  description?: string;
}

export interface Notice {
  version: number;
  text: string;
  sha256?: string;
  /** The language of this text; its version is numbered in that language. */
  locale?: string;
}

export interface Topic {
  key: string;
  name: string;
  description?: string;
  group?: string | null;
  legal_basis: LegalBasis;
  channels: string[];
  double_opt_in?: boolean;
  honour_gpc?: boolean;
  allow_when_channel_opted_out?: boolean;
  /** False: a service message (no switch; the customer keeps at least one channel). */
  optional?: boolean;
  notice: Notice | null;
}

export interface Catalog {
  version: number;
  company?: { name: string };
  channels: Channel[];
  topics: Topic[];
}

export interface Settings {
  do_not_contact: boolean;
  preferred_channel: string | null;
  language: string | null;
  frequency: Frequency | null;
}

export interface Preference {
  channel: string;
  topic: string; // "*" = channel-wide
  status: PreferenceStatus;
  updated_at?: string;
}

export interface Consent {
  id: string;
  topic: string;
  channels: string[];
  status: ConsentStatus;
  notice_version?: number;
  method?: ConsentMethod;
  granted_at?: string;
}

export interface Profile {
  subject?: { id: string };
  revision: number;
  settings: Settings;
  preferences: Preference[];
  consents: Consent[];
}

/** The first paint in one answer: the catalog in the widget's language and the profile. */
export interface PreferenceCenter {
  catalog: Catalog;
  profile: Profile;
}

// Request bodies.

export interface PreferenceItem {
  channel: string;
  topic: string;
  status: PreferenceStatus;
}

export interface PreferencesPatch {
  touchpoint: string;
  reason?: string;
  items?: PreferenceItem[];
  do_not_contact?: boolean;
  preferred_channel?: string | null;
  language?: string | null;
  frequency?: Frequency | null;
}

export interface ConsentGrant {
  topic: string;
  channels: string[];
  notice_version: number;
  notice_locale?: string;
  method: ConsentMethod;
  touchpoint: string;
  evidence?: { note?: string };
}

export interface ConsentWithdrawal {
  touchpoint: string;
  method?: ConsentMethod;
  reason?: string;
}

/** One HTTP write the widget must send, in order. */
export type Write =
  | { kind: "preferences"; body: PreferencesPatch }
  | { kind: "grant"; body: ConsentGrant }
  | { kind: "withdraw"; consentId: string; topic: string; body: ConsentWithdrawal };

/** A contact with the customer (agent mode only; an agent-mode token reads the last five, no summaries). */
export interface Interaction {
  id: string;
  occurred_at: string;
  channel: string;
  touchpoint: string;
  direction: "inbound" | "outbound";
  topic: string | null;
  outcome: "resolved" | "follow_up" | "transferred" | null;
  continues: string | null;
}

export interface InteractionPage {
  items: Interaction[];
  next_cursor: string | null;
}
