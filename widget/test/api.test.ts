import { describe, expect, it } from "vitest";
import { ApiError, createApiClient, parseRevision, uuid } from "../src/api";
import { applyEdits, choiceEdits, initialChoices, planWrites, type PlanContext } from "../src/state";
import { runWrites, sendPlanned } from "../src/sync";
import type { Write } from "../src/types";
import { FakeApi, SUBJECT, TOKEN } from "./fixtures";

const PATCH: Write = { kind: "preferences", body: { touchpoint: "web", do_not_contact: true } };

function client(api: FakeApi, sleeps: number[] = []) {
  let n = 0;
  return createApiClient({
    api: "https://prefs.example.com",
    token: TOKEN,
    subject: SUBJECT,
    fetch: api.fetch as typeof fetch,
    sleep: async (ms) => void sleeps.push(ms),
    newKey: () => `key-${++n}`,
  });
}

describe("api client", () => {
  it("sends the bearer token; GETs carry no idempotency key; the revision comes from the ETag", async () => {
    const api = new FakeApi();
    const res = await client(api).getProfile();
    expect(res.revision).toBe(12);
    expect(api.calls[0].path).toBe(`/v1/subjects/${SUBJECT}/profile`);
    expect(api.calls[0].headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(api.calls[0].headers["Idempotency-Key"]).toBeUndefined();
  });

  it("reads the first paint in one request: catalog in the widget's language, profile, revision from the ETag", async () => {
    const api = new FakeApi();
    const withLocale = createApiClient({ api: "https://prefs.example.com", token: TOKEN, subject: SUBJECT, locale: "de-AT", fetch: api.fetch as typeof fetch });
    const res = await withLocale.getPreferenceCenter();
    expect(res.revision).toBe(12);
    expect(res.data.catalog.version).toBe(7);
    expect(res.data.profile.revision).toBe(12);
    expect(api.calls[0]).toMatchObject({ method: "GET", path: `/v1/subjects/${SUBJECT}/preference-center`, query: { locale: "de-AT" } });
    expect(api.calls[0].headers.Authorization).toBe(`Bearer ${TOKEN}`);
    await client(api).getPreferenceCenter();
    expect(api.calls[1].query).toEqual({}); // no language: the server's default locale
  });

  it("sends the widget's language as Accept-Language when it has one", async () => {
    const api = new FakeApi();
    const withLocale = createApiClient({ api: "https://prefs.example.com", token: TOKEN, subject: SUBJECT, locale: "de", fetch: api.fetch as typeof fetch });
    await withLocale.getProfile();
    await withLocale.send(PATCH, 12);
    expect(api.calls.map((c) => c.headers["Accept-Language"])).toEqual(["de", "de"]);
    await client(api).getProfile();
    expect(api.calls[2].headers["Accept-Language"]).toBeUndefined();
  });

  it("writes carry If-Match, JSON and an Idempotency-Key", async () => {
    const api = new FakeApi();
    const res = await client(api).send(PATCH, 12);
    expect(res.revision).toBe(13);
    expect(api.calls[0]).toMatchObject({
      method: "PATCH",
      path: `/v1/subjects/${SUBJECT}/preferences`,
      headers: { "If-Match": '"12"', "Content-Type": "application/json", "Idempotency-Key": "key-1" },
      body: { touchpoint: "web", do_not_contact: true },
    });
  });

  it("retries 5xx and network errors with backoff, reusing the same key", async () => {
    const api = new FakeApi();
    api.failNext(503);
    api.failNext(0);
    const sleeps: number[] = [];
    await client(api, sleeps).send(PATCH, 12);
    expect(api.calls).toHaveLength(3);
    expect(new Set(api.calls.map((c) => c.headers["Idempotency-Key"]))).toEqual(new Set(["key-1"]));
    expect(sleeps).toEqual([500, 1000]);
    expect(api.profile.settings.do_not_contact).toBe(true);
  });

  it("gives up after 3 tries; 'Try again' of the same write reuses its key, a later write gets a new one", async () => {
    const api = new FakeApi();
    api.failNext(502, undefined, 3);
    const c = client(api);
    const err = await c.send(PATCH, 12).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(502);
    expect(err.retryable).toBe(true);
    expect(api.calls).toHaveLength(3);
    await c.send(PATCH, 12); // the user's "Try again"
    expect(api.calls.map((x) => x.headers["Idempotency-Key"])).toEqual(["key-1", "key-1", "key-1", "key-1"]);
    await c.send(PATCH, 13); // a new write
    expect(api.calls[4].headers["Idempotency-Key"]).toBe("key-2");
  });

  it("retries a write the server still processes (409 in progress) with the same key, after Retry-After", async () => {
    const api = new FakeApi();
    api.failNext(409, undefined, 1, "idempotency-in-progress", { "Retry-After": "1" });
    api.failNext(409, undefined, 1, "idempotency-in-progress");
    const sleeps: number[] = [];
    const res = await client(api, sleeps).send(PATCH, 12);
    expect(res.revision).toBe(13);
    expect(api.calls).toHaveLength(3);
    expect(new Set(api.calls.map((c) => c.headers["Idempotency-Key"]))).toEqual(new Set(["key-1"]));
    expect(sleeps).toEqual([1000, 1000]);
  });

  it("retries a database outage (503, 507) but not another 409", async () => {
    const api = new FakeApi();
    api.failNext(507, undefined, 1, "storage-full", { "Retry-After": "2" });
    const sleeps: number[] = [];
    await client(api, sleeps).send(PATCH, 12);
    expect(sleeps).toEqual([2000]);
    api.failNext(409, undefined, 1, "conflict");
    const err = await client(api).send(PATCH, 13).catch((e) => e);
    expect(err.status).toBe(409);
    expect(err.retryable).toBe(false);
    expect(api.calls).toHaveLength(3);
  });

  it("does not retry other 4xx", async () => {
    const api = new FakeApi();
    api.failNext(422);
    const err = await client(api).send(PATCH, 12).catch((e) => e);
    expect(err.status).toBe(422);
    expect(err.problem.title).toBe("fail");
    expect(api.calls).toHaveLength(1);
  });

  it("maps writes to the contract's routes", async () => {
    const api = new FakeApi();
    const c = client(api);
    await c.send({ kind: "grant", body: { topic: "offers", channels: ["sms"], notice_version: 1, method: "checkbox", touchpoint: "web" } }, 12);
    await c.send({ kind: "withdraw", consentId: "c1", topic: "newsletter", body: { touchpoint: "web", method: "checkbox" } }, 13);
    expect(api.calls.map((x) => `${x.method} ${x.path}`)).toEqual([
      `POST /v1/subjects/${SUBJECT}/consents`,
      `POST /v1/subjects/${SUBJECT}/consents/c1/withdraw`,
    ]);
  });

  it("parses ETags and makes UUIDs", () => {
    expect(parseRevision('"12"')).toBe(12);
    expect(parseRevision('W/"7"')).toBe(7);
    expect(parseRevision(null)).toBeNull();
    expect(uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const saved = globalThis.crypto.randomUUID;
    // insecure origins have no randomUUID
    Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
    try {
      expect(uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      Object.defineProperty(globalThis.crypto, "randomUUID", { value: saved, configurable: true });
    }
  });
});

describe("sending plans", () => {
  const ctx: PlanContext = { touchpoint: "web", method: "checkbox" };

  it("refetches the profile after a consent write so the next If-Match is current", async () => {
    const api = new FakeApi();
    const c = client(api);
    const p = (await c.getProfile()).data;
    const base = initialChoices(api.catalog, p);
    const writes = planWrites(api.catalog, p, { ...base, matrix: { ...base.matrix, newsletter: ["sms"] } }, ctx);
    const after = await runWrites(c, p, writes);
    expect(api.calls.map((x) => `${x.method} ${x.path.split("/").slice(4).join("/")} ${x.headers["If-Match"] ?? ""}`)).toEqual([
      'GET profile ',
      'POST consents "12"',
      'GET profile ',
      'POST consents/c1/withdraw "13"',
      'GET profile ',
    ]);
    expect(after.revision).toBe(14);
    expect(after.consents.map((x) => `${x.topic}:${x.channels}:${x.status}`)).toEqual(["newsletter:email:withdrawn", "newsletter:sms:granted"]);
  });

  it("on 412 refetches, re-applies the user's edits to the fresh profile and retries once with a new key", async () => {
    const api = new FakeApi();
    const c = client(api);
    const stale = (await c.getProfile()).data;
    const base = initialChoices(api.catalog, stale);
    const edits = choiceEdits(base, { ...base, matrix: { ...base.matrix, product_updates: ["email"] } });
    // someone else changes the profile meanwhile
    api.profile.preferences.push({ channel: "email", topic: "surveys", status: "opted_out" });
    api.profile.revision = 20;

    const result = await sendPlanned(c, stale, (p) => planWrites(api.catalog, p, applyEdits(initialChoices(api.catalog, p), edits), ctx));
    const writes = api.writes;
    expect(writes.map((w) => w.headers["If-Match"])).toEqual(['"12"', '"20"']);
    expect(writes[0].headers["Idempotency-Key"]).not.toBe(writes[1].headers["Idempotency-Key"]);
    expect(writes[1].body).toEqual({ touchpoint: "web", items: [{ channel: "post", topic: "product_updates", status: "opted_out" }] });
    expect(result.sent).toBe(true);
    expect(result.profile.revision).toBe(21);
    // the other change survived
    expect(result.profile.preferences).toContainEqual({ channel: "email", topic: "surveys", status: "opted_out" });
  });

  it("a second 412 is an error", async () => {
    const api = new FakeApi();
    api.failNext(412, undefined, 2);
    const c = client(api);
    const p = (await c.getProfile()).data;
    const err = await sendPlanned(c, p, () => [PATCH]).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(412);
    expect(api.writes).toHaveLength(2);
  });
});

