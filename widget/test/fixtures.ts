// Shared test data shaped like docs/api-contract.md, and a small in-memory fake of the API.

import type { Catalog, Consent, Interaction, Profile } from "../src/types";

export const SUBJECT = "7d8f2c1e-4a5b-4c6d-9e0f-112233445566";

/** An unsigned JWT whose payload is {sub, ...extra} (base64url, no padding). */
export function jwt(payload: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${enc({ alg: "EdDSA", typ: "JWT" })}.${enc(payload)}.c2ln`;
}

export const TOKEN = jwt({ sub: SUBJECT, scope: "preferences:write", name: "Zoë ~~~ >>>" });

export function catalog(): Catalog {
  return {
    version: 7,
    company: { name: "Acme" },
    channels: [
      { key: "email", name: "Email" },
      { key: "sms", name: "SMS" },
      { key: "post", name: "Post" },
    ],
    topics: [
      {
        key: "newsletter",
        name: "Newsletter",
        description: "News every week",
        group: "Marketing",
        legal_basis: "consent",
        channels: ["email", "sms"],
        double_opt_in: true,
        honour_gpc: true,
        notice: { version: 2, text: "We will send you our newsletter.", sha256: "x" },
      },
      {
        key: "offers",
        name: "Offers",
        description: "Deals",
        group: "Marketing",
        legal_basis: "consent",
        channels: ["email", "sms", "post"],
        double_opt_in: false,
        honour_gpc: true,
        notice: { version: 1, text: "We will send you offers.", sha256: "y" },
      },
      {
        key: "product_updates",
        name: "Product updates",
        description: "",
        group: "Service",
        legal_basis: "legitimate_interest",
        channels: ["email", "post"],
        honour_gpc: false,
        notice: null,
      },
      {
        key: "surveys",
        name: "Surveys",
        group: "Service",
        legal_basis: "legitimate_interest",
        channels: ["email"],
        honour_gpc: true,
        notice: null,
      },
    ],
  };
}

export function profile(): Profile {
  return {
    subject: { id: SUBJECT },
    revision: 12,
    settings: { do_not_contact: false, preferred_channel: "email", language: "de", frequency: "weekly" },
    preferences: [
      { channel: "email", topic: "product_updates", status: "opted_in" },
      { channel: "sms", topic: "*", status: "opted_out" },
    ],
    consents: [
      { id: "c1", topic: "newsletter", channels: ["email"], status: "granted", notice_version: 2, method: "checkbox" },
    ],
  };
}

export interface Call {
  method: string;
  path: string;
  /** The query string's parameters. */
  query: Record<string, string>;
  headers: Record<string, string>;
  body: any;
}

/** In-memory API: applies writes, bumps the revision, checks If-Match; failures can be queued. */
export class FakeApi {
  catalog = catalog();
  profile = profile();
  calls: Call[] = [];
  /** What GET .../interactions answers (agent mode), newest first. */
  interactions: Interaction[] = [];
  failures: {
    match: (c: Call) => boolean;
    status: number;
    slug: string;
    headers: Record<string, string>;
    extra: Record<string, unknown>;
  }[] = [];
  private nextId = 100;

  get writes(): Call[] {
    return this.calls.filter((c) => c.method !== "GET");
  }

  failNext(
    status: number,
    match: (c: Call) => boolean = (c) => c.method !== "GET",
    times = 1,
    slug = "x",
    headers: Record<string, string> = {},
    extra: Record<string, unknown> = {},
  ): void {
    for (let i = 0; i < times; i++) this.failures.push({ match, status, slug, headers, extra });
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const call: Call = {
      method: init.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    };
    this.calls.push(call);
    const failure = this.failures.findIndex((f) => f.match(call));
    if (failure >= 0) {
      const { status, slug, headers, extra } = this.failures.splice(failure, 1)[0];
      if (status === 0) throw new TypeError("Failed to fetch");
      return json({ type: `https://prefcenter.dev/problems/${slug}`, title: "fail", status, ...extra }, status, headers);
    }
    return this.handle(call);
  };

  private handle(call: Call): Response {
    const p = this.profile;
    const base = `/v1/subjects/${SUBJECT}`;
    if (call.method === "GET" && call.path === `${base}/preference-center`) {
      return json({ catalog: this.catalog, profile: p }, 200, { ETag: `"${p.revision}"` });
    }
    if (call.method === "GET" && call.path === `${base}/profile`) return json(p, 200, { ETag: `"${p.revision}"` });
    if (call.method === "GET" && call.path === `${base}/interactions`) return json({ items: this.interactions, next_cursor: null });
    if (call.method !== "GET") {
      const ifMatch = call.headers["If-Match"];
      if (ifMatch && ifMatch !== `"${p.revision}"`) return json({ title: "Precondition failed", status: 412 }, 412);
    }
    if (call.method === "POST" && call.path === "/v1/feedback") return json({ id: `f${this.nextId++}`, ...call.body }, 201);
    if (call.method === "PATCH" && call.path === `${base}/preferences`) {
      for (const item of call.body.items ?? []) {
        p.preferences = p.preferences.filter((x) => !(x.topic === item.topic && x.channel === item.channel));
        p.preferences.push({ ...item });
      }
      if ("do_not_contact" in call.body) p.settings.do_not_contact = call.body.do_not_contact;
      if ("preferred_channel" in call.body) p.settings.preferred_channel = call.body.preferred_channel;
      if ("language" in call.body) p.settings.language = call.body.language;
      if ("frequency" in call.body) p.settings.frequency = call.body.frequency;
      p.revision++;
      return json(p, 200, { ETag: `"${p.revision}"` });
    }
    if (call.method === "POST" && call.path === `${base}/consents`) {
      const topic = this.catalog.topics.find((t) => t.key === call.body.topic)!;
      const consent: Consent = {
        id: `c${this.nextId++}`,
        topic: topic.key,
        channels: call.body.channels,
        status: topic.double_opt_in && call.body.channels.includes("email") ? "pending_confirmation" : "granted",
        notice_version: call.body.notice_version,
        method: call.body.method,
      };
      p.consents.push(consent);
      p.revision++;
      return json(consent, 201);
    }
    const m = new RegExp(`^${base}/consents/([^/]+)/withdraw$`).exec(call.path);
    if (call.method === "POST" && m) {
      const consent = p.consents.find((c) => c.id === m[1]);
      if (!consent) return json({ status: 404 }, 404);
      consent.status = "withdrawn";
      p.revision++;
      return json(consent);
    }
    return json({ title: "Not found", status: 404 }, 404);
  }
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });
}
