// jsdom: the element end to end against the in-memory fake API.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { boot } from "../src/index";
import { FakeApi, SUBJECT, TOKEN } from "./fixtures";

let api: FakeApi;

beforeEach(() => {
  api = new FakeApi();
  vi.stubGlobal("fetch", api.fetch);
  sessionStorage.clear();
  localStorage.clear();
  document.body.replaceChildren();
});

afterEach(() => {
  vi.unstubAllGlobals();
  delete (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl;
});

async function waitFor<T>(fn: () => T | null | undefined | false, ms = 4000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("waitFor timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function mountEl(attrs: Record<string, string> = {}): Promise<ShadowRoot> {
  const el = document.createElement("prefcenter-preferences");
  const all = { "data-api": "https://prefs.example.com", "data-token": TOKEN, "data-touchpoint": "account", "data-locale": "en", ...attrs };
  for (const [k, v] of Object.entries(all)) el.setAttribute(k, v);
  document.body.append(el);
  const shadow = el.shadowRoot!;
  await waitFor(() => shadow.querySelector('[data-pc="save"]'));
  return shadow;
}

const cell = (s: ShadowRoot, topic: string, channel: string) =>
  s.querySelector<HTMLInputElement>(`input[data-pc="cell"][data-topic="${topic}"][data-channel="${channel}"]`);
const status = (s: ShadowRoot) => s.querySelector('[data-pc="status"]')!;
const byLabel = (s: ShadowRoot, label: string) => s.querySelector<HTMLInputElement>(`[aria-label="${label}"]`);

async function save(s: ShadowRoot, expected = "Saved"): Promise<void> {
  s.querySelector<HTMLButtonElement>('[data-pc="save"]')!.click();
  await waitFor(() => status(s).textContent === expected);
}

describe("<prefcenter-preferences> full mode", () => {
  it("renders the profile into an accessible, grouped matrix", async () => {
    const s = await mountEl();
    // the first paint is one request: the catalog in the widget's language and the profile together
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET /v1/subjects/${SUBJECT}/preference-center`]);
    expect(api.calls[0].query).toEqual({ locale: "en" });
    expect(Array.from(s.querySelectorAll("caption"), (c) => c.textContent)).toEqual(["Marketing", "Service"]);
    expect(s.querySelectorAll('th[scope="col"]').length).toBe(8);
    expect(s.querySelector('th[scope="row"] .pc-name')!.textContent).toBe("Newsletter");
    expect(byLabel(s, "Newsletter by Email")!.checked).toBe(true);
    expect(byLabel(s, "Newsletter by SMS")!.checked).toBe(false);
    expect(byLabel(s, "Newsletter by Post")).toBeNull(); // topic does not allow the channel
    expect(byLabel(s, "Product updates by Post")!.checked).toBe(true);
    expect(s.querySelector("details summary")!.textContent).toBe("Read the notice");
    expect(s.querySelector("details .pc-notice-text")!.textContent).toBe("We will send you our newsletter.");
    for (const input of s.querySelectorAll('input[type="checkbox"]')) expect(input.getAttribute("aria-label")).toMatch(/ by /);
    const sw = s.querySelector('[data-pc="dnc"]')!;
    expect(sw.getAttribute("role")).toBe("switch");
    expect(sw.getAttribute("aria-checked")).toBe("false");
    expect(sw.textContent).toBe("Contact me about nothing");
    expect(status(s).getAttribute("role")).toBe("status");
    expect(status(s).getAttribute("aria-live")).toBe("polite");
    expect(s.querySelector<HTMLSelectElement>("#pc-preferred-channel")!.value).toBe("email");
    expect(s.querySelector<HTMLSelectElement>("#pc-language")!.value).toBe("de");
    expect(s.querySelector<HTMLSelectElement>("#pc-frequency")!.value).toBe("weekly");
    expect(s.querySelector('label[for="pc-frequency"]')!.textContent).toBe("How often");
  });

  it("toggling checkboxes and saving sends only the changes", async () => {
    const s = await mountEl();
    cell(s, "newsletter", "sms")!.click();
    cell(s, "product_updates", "post")!.click();
    const freq = s.querySelector<HTMLSelectElement>("#pc-frequency")!;
    freq.value = "monthly";
    freq.dispatchEvent(new Event("change"));
    await save(s);
    const w = api.writes;
    expect(w.map((c) => `${c.method} ${c.path.split("/").slice(4).join("/")}`)).toEqual(["PATCH preferences", "POST consents"]);
    expect(w[0].headers["If-Match"]).toBe('"12"');
    expect(w[0].body).toEqual({
      touchpoint: "account",
      items: [{ channel: "post", topic: "product_updates", status: "opted_out" }],
      frequency: "monthly",
    });
    expect(w[1].body).toEqual({ topic: "newsletter", channels: ["email", "sms"], notice_version: 2, method: "checkbox", touchpoint: "account" });
    expect(w[1].headers["If-Match"]).toBe('"13"');
    for (const c of w) expect(c.headers["Idempotency-Key"]).toMatch(/^[0-9a-f-]{36}$/);
    // double opt-in: the new consent waits for confirmation
    expect(s.querySelector('tr[data-topic="newsletter"] [data-pc="pending"]')!.textContent).toBe(
      "Waiting for your confirmation — check your inbox.",
    );
    expect(sessionStorage.length).toBe(0);
    await save(s, "There are no changes to save.");
    expect(api.writes).toHaveLength(2);
  });

  it("unchecking a consent topic withdraws it", async () => {
    const s = await mountEl();
    cell(s, "newsletter", "email")!.click();
    await save(s);
    expect(api.writes.map((c) => [c.path.split("/").slice(4).join("/"), c.body])).toEqual([
      ["consents/c1/withdraw", { touchpoint: "account", method: "checkbox" }],
    ]);
    expect(cell(s, "newsletter", "email")!.checked).toBe(false);
  });

  it("the do-not-contact switch disables the matrix and is saved", async () => {
    const s = await mountEl();
    const sw = s.querySelector<HTMLButtonElement>('[data-pc="dnc"]')!;
    sw.click();
    expect(sw.getAttribute("aria-checked")).toBe("true");
    expect(s.querySelector<HTMLFieldSetElement>('[data-pc="matrix"]')!.disabled).toBe(true);
    await save(s);
    expect(api.writes[0].body).toEqual({ touchpoint: "account", do_not_contact: true });
    expect(s.querySelector('[data-pc="dnc"]')!.getAttribute("aria-checked")).toBe("true");
    expect(s.querySelector<HTMLFieldSetElement>('[data-pc="matrix"]')!.disabled).toBe(true);
  });

  it("on a stale revision (412) re-applies the change to the fresh profile", async () => {
    const s = await mountEl();
    api.profile.revision = 30; // changed elsewhere after load
    cell(s, "surveys", "email")!.click();
    await save(s);
    expect(api.writes.map((c) => c.headers["If-Match"])).toEqual(['"12"', '"30"']);
    expect(api.writes[1].body.items).toEqual([{ channel: "email", topic: "surveys", status: "opted_out" }]);
  });

  it("keeps unsaved choices on failure: error + Try again, and across a reload via sessionStorage", async () => {
    api.failNext(503, undefined, 3);
    const s = await mountEl();
    cell(s, "offers", "sms")!.click();
    await save(s, "Your changes could not be saved. They are kept here, so you can try again.");
    expect(status(s).getAttribute("data-state")).toBe("error");
    const retry = s.querySelector<HTMLButtonElement>('[data-pc="retry"]')!;
    expect(retry.hidden).toBe(false);
    expect(retry.textContent).toBe("Try again");
    expect(cell(s, "offers", "sms")!.checked).toBe(true);
    expect(JSON.parse(sessionStorage.getItem(`prefcenter:unsaved:${SUBJECT}`)!)).toEqual({ cells: { "offers sms": true }, settings: {} });

    // "reload": a fresh element for the same subject restores the choice
    document.body.replaceChildren();
    const s2 = await mountEl();
    expect(cell(s2, "offers", "sms")!.checked).toBe(true);
    expect(status(s2).textContent).toMatch(/unsaved changes/);

    s2.querySelector<HTMLButtonElement>('[data-pc="save"]')!.click();
    await waitFor(() => status(s2).textContent === "Saved");
    const posts = api.writes;
    expect(posts).toHaveLength(4);
    expect(posts[3].body).toMatchObject({ topic: "offers", channels: ["sms"] });
    expect(sessionStorage.getItem(`prefcenter:unsaved:${SUBJECT}`)).toBeNull();
  }, 10000);

  it("Try again resends with the same idempotency key", async () => {
    api.failNext(0, undefined, 3);
    const s = await mountEl();
    cell(s, "offers", "email")!.click();
    await save(s, "Your changes could not be saved. They are kept here, so you can try again.");
    s.querySelector<HTMLButtonElement>('[data-pc="retry"]')!.click();
    await waitFor(() => status(s).textContent === "Saved");
    expect(new Set(api.writes.map((c) => c.headers["Idempotency-Key"])).size).toBe(1);
    expect(api.writes).toHaveLength(4);
  }, 10000);

  it("translates the UI (de)", async () => {
    const s = await mountEl({ "data-locale": "de" });
    expect(s.querySelector('[data-pc="save"]')!.textContent).toBe("Speichern");
    expect(byLabel(s, "Newsletter per Email")).not.toBeNull();
    expect(s.querySelector('[data-pc="dnc"]')!.textContent).toBe("Kontaktieren Sie mich zu nichts");
    expect(s.querySelector(".pc")!.getAttribute("lang")).toBe("de");
  });
});

describe("agent mode", () => {
  it("shows the banner and records verbal consents with the agent note", async () => {
    const s = await mountEl({ "data-mode": "agent", "data-agent-id": "agent-42" });
    expect(s.querySelector('[data-pc="agent-banner"]')!.textContent).toBe("Recording on behalf of the customer (agent agent-42)");
    cell(s, "offers", "post")!.click();
    cell(s, "newsletter", "email")!.click();
    await save(s);
    expect(api.writes.map((c) => c.body)).toEqual([
      { topic: "offers", channels: ["post"], notice_version: 1, method: "verbal", touchpoint: "account", evidence: { note: "recorded by agent agent-42" } },
      { touchpoint: "account", method: "verbal" },
    ]);
  });
});

describe("agent mode: recent contacts", () => {
  it("shows the last contacts across channels, read with the agent's token", async () => {
    const yesterday = new Date(Date.now() - 86_400_000);
    api.interactions = [
      { id: "b", occurred_at: yesterday.toISOString(), channel: "sms", touchpoint: "support", direction: "outbound", topic: "billing", outcome: "resolved", continues: "a" },
      { id: "a", occurred_at: yesterday.toISOString(), channel: "chat", touchpoint: "support", direction: "inbound", topic: "billing", outcome: "transferred", continues: null },
    ];
    const s = await mountEl({ "data-mode": "agent", "data-agent-id": "agent-42" });
    const call = api.calls.find((c) => c.path === `/v1/subjects/${SUBJECT}/interactions`)!;
    expect(call.method).toBe("GET");
    expect(s.querySelector('[data-pc="contacts"] h3')!.textContent).toBe("Recent contacts");
    expect(Array.from(s.querySelectorAll('[data-pc="contacts"] li'), (li) => li.textContent)).toEqual([
      "SMS yesterday about billing, resolved",
      "Chat yesterday about billing, transferred to SMS",
    ]);
  });

  it("is left out when the token may not read contacts, and never asked for outside agent mode", async () => {
    api.failNext(403, (c) => c.path.endsWith("/interactions"));
    const s = await mountEl({ "data-mode": "agent", "data-agent-id": "agent-42" });
    expect(s.querySelector('[data-pc="contacts"]')).toBeNull();
    expect(s.querySelector('[data-pc="save"]')).not.toBeNull();
    api.calls = [];
    document.body.replaceChildren();
    await mountEl();
    expect(api.calls.some((c) => c.path.endsWith("/interactions"))).toBe(false);
  });
});

describe("compact mode", () => {
  it("offers the first two consent topics by default", async () => {
    const s = await mountEl({ "data-mode": "compact" });
    const boxes = Array.from(s.querySelectorAll<HTMLInputElement>('[data-pc="compact-checkbox"]'));
    expect(boxes.map((b) => b.dataset.topic)).toEqual(["newsletter", "offers"]);
    expect(boxes.map((b) => b.checked)).toEqual([true, false]);
    expect(s.querySelector('[data-pc="save"]')!.textContent).toBe("Sign me up");
    expect(s.querySelector('[data-pc="matrix"]')).toBeNull();
  });

  it("limits to data-topics, shows the notice and signs up", async () => {
    const s = await mountEl({ "data-mode": "compact", "data-topics": "offers", "data-touchpoint": "pos" });
    const box = s.querySelector<HTMLInputElement>('[data-pc="compact-checkbox"]')!;
    expect(s.querySelectorAll('[data-pc="compact-checkbox"]').length).toBe(1);
    // The box names the channel it consents to, and the consent covers only that channel.
    expect(s.querySelector(`label[for="${box.id}"]`)!.textContent).toBe("Offers by Email");
    expect(s.getElementById(box.getAttribute("aria-describedby")!)!.textContent).toBe("We will send you offers.");
    box.click();
    await save(s);
    expect(api.writes[0].body).toEqual({ topic: "offers", channels: ["email"], notice_version: 1, method: "checkbox", touchpoint: "pos" });
  });

  it("data-channels chooses the channels a sign-up consents to (only those the topic offers)", async () => {
    const s = await mountEl({ "data-mode": "compact", "data-topics": "offers", "data-channels": "sms, post, push" });
    const box = s.querySelector<HTMLInputElement>('[data-pc="compact-checkbox"]')!;
    expect(s.querySelector('[data-pc="compact-channels"]')!.textContent).toBe("by SMS and Post");
    box.click();
    await save(s);
    expect(api.writes[0].body.channels).toEqual(["sms", "post"]);
  });
});

describe("service messages", () => {
  beforeEach(() => {
    api.catalog.topics.push({
      key: "billing",
      name: "Invoices",
      group: "Service",
      legal_basis: "contract",
      channels: ["email", "sms"],
      optional: false,
      notice: null,
    });
  });

  it("shows a non-optional topic as a service message that keeps at least one channel", async () => {
    const s = await mountEl();
    const row = s.querySelector('tr[data-topic="billing"]')!;
    expect(row.querySelector('[data-pc="service-message"]')!.textContent).toBe("Service message");
    expect(row.querySelector('[role="switch"]')).toBeNull();
    const email = cell(s, "billing", "email")!;
    const sms = cell(s, "billing", "sms")!;
    expect(s.getElementById(email.getAttribute("aria-describedby")!)!.textContent).toMatch(/at least one channel/);
    expect([email.checked, sms.checked, email.disabled, sms.disabled]).toEqual([true, false, true, false]);
    sms.click();
    expect([email.disabled, sms.disabled]).toEqual([false, false]);
    email.click();
    expect([email.checked, sms.checked, sms.disabled]).toEqual([false, true, true]);
    await save(s);
    expect(api.writes[0].body.items).toEqual([
      { channel: "email", topic: "billing", status: "opted_out" },
      { channel: "sms", topic: "billing", status: "opted_in" },
    ]);
  });
});

describe("Global Privacy Control", () => {
  it("opts honour_gpc topics out once, withdraws their consents and says so", async () => {
    Object.defineProperty(navigator, "globalPrivacyControl", { value: true, configurable: true });
    const s = await mountEl();
    expect(api.writes.map((c) => c.body)).toEqual([
      {
        touchpoint: "account",
        reason: "gpc",
        items: [
          { channel: "email", topic: "newsletter", status: "opted_out" },
          { channel: "sms", topic: "newsletter", status: "opted_out" },
          { channel: "email", topic: "surveys", status: "opted_out" },
        ],
      },
      { touchpoint: "account", method: "gpc", reason: "gpc" },
    ]);
    expect(s.querySelector('[data-pc="gpc-notice"]')!.textContent).toBe(
      "Your browser's Global Privacy Control signal was honoured for: Newsletter, Surveys",
    );
    expect(cell(s, "newsletter", "email")!.checked).toBe(false);
    expect(cell(s, "surveys", "email")!.checked).toBe(false);

    document.body.replaceChildren();
    const s2 = await mountEl();
    expect(api.writes).toHaveLength(2);
    expect(s2.querySelector('[data-pc="gpc-notice"]')).toBeNull();
  });

  it("two widgets for the same subject share one GPC run", async () => {
    Object.defineProperty(navigator, "globalPrivacyControl", { value: true, configurable: true });
    const a = document.createElement("prefcenter-preferences");
    const b = document.createElement("prefcenter-preferences");
    for (const el of [a, b]) {
      el.setAttribute("data-api", "https://prefs.example.com");
      el.setAttribute("data-token", TOKEN);
    }
    b.setAttribute("data-mode", "compact");
    document.body.append(a, b);
    for (const el of [a, b]) await waitFor(() => el.shadowRoot!.querySelector('[data-pc="gpc-notice"]'));
    expect(api.writes.filter((c) => c.method === "PATCH")).toHaveLength(1);
  });

  it("is ignored in agent mode", async () => {
    Object.defineProperty(navigator, "globalPrivacyControl", { value: true, configurable: true });
    await mountEl({ "data-mode": "agent", "data-agent-id": "a1" });
    expect(api.writes).toHaveLength(0);
  });
});

describe("loading", () => {
  it("shows a configuration error without token", async () => {
    const el = document.createElement("prefcenter-preferences");
    el.setAttribute("data-api", "https://prefs.example.com");
    document.body.append(el);
    expect(el.shadowRoot!.querySelector('[data-pc="status"]')!.textContent).toMatch(/data-token/);
    expect(api.calls).toHaveLength(0);
  });

  it("shows a load error with Try again", async () => {
    api.failNext(500, (c) => c.path.endsWith("/preference-center"), 3);
    const el = document.createElement("prefcenter-preferences");
    el.setAttribute("data-api", "https://prefs.example.com");
    el.setAttribute("data-token", TOKEN);
    document.body.append(el);
    const s = el.shadowRoot!;
    await waitFor(() => status(s).textContent === "We couldn't load your preferences.");
    s.querySelector<HTMLButtonElement>('[data-pc="retry"]')!.click();
    await waitFor(() => s.querySelector('[data-pc="save"]'));
  }, 10000);

  it("an expired token is explained, fires prefcenter:token-expired and a fresh data-token carries on", async () => {
    const expired = { reason: "expired", detail: "the access token is expired" };
    api.failNext(401, (c) => c.path.endsWith("/preference-center"), 1, "unauthorized", {}, expired);
    const el = document.createElement("prefcenter-preferences");
    el.setAttribute("data-api", "https://prefs.example.com");
    el.setAttribute("data-token", TOKEN);
    el.setAttribute("data-locale", "en");
    const fired: Event[] = [];
    document.addEventListener("prefcenter:token-expired", (e) => fired.push(e), { once: true });
    document.body.append(el);
    const s = el.shadowRoot!;
    await waitFor(() => fired.length === 1);
    expect(status(s).textContent).toBe("For your security, this page has timed out. Please reload the page to continue.");
    expect(s.querySelector<HTMLButtonElement>('[data-pc="retry"]')!.hidden).toBe(true);
    expect((fired[0] as CustomEvent).detail).toEqual({ subject: SUBJECT });
    expect(fired[0].target).toBe(el);
    el.setAttribute("data-token", TOKEN + "fresh");
    await waitFor(() => s.querySelector('[data-pc="save"]'));
  });

  it("an expired token on save keeps the changes and offers no retry", async () => {
    const s = await mountEl();
    const fired: Event[] = [];
    s.host.addEventListener("prefcenter:token-expired", (e) => fired.push(e));
    api.failNext(401, undefined, 1, "unauthorized", {}, { reason: "expired" });
    cell(s, "newsletter", "sms")!.click();
    s.querySelector<HTMLButtonElement>('[data-pc="save"]')!.click();
    await waitFor(() => fired.length === 1);
    expect(status(s).textContent).toMatch(/your changes are kept/);
    expect(s.querySelector<HTMLButtonElement>('[data-pc="retry"]')!.hidden).toBe(true);
    expect(sessionStorage.getItem(`prefcenter:unsaved:${SUBJECT}`)).toContain("newsletter sms");
  });

  it("a broken token is called a broken token, not a missing data-subject", async () => {
    const el = document.createElement("prefcenter-preferences");
    el.setAttribute("data-api", "https://prefs.example.com");
    el.setAttribute("data-token", "not-a-token");
    document.body.append(el);
    const text = el.shadowRoot!.querySelector('[data-pc="status"]')!.textContent!;
    expect(text).toMatch(/access key is not valid/);
    expect(text).not.toMatch(/data-subject/);
    expect(api.calls).toHaveLength(0);
  });

  it("re-mounts when the token attribute changes", async () => {
    const s = await mountEl();
    const el = s.host;
    el.setAttribute("data-token", TOKEN + "x");
    await waitFor(() => api.calls.filter((c) => c.path.endsWith("/preference-center")).length === 2);
    await waitFor(() => s.querySelector('[data-pc="save"]'));
    expect(api.calls.at(-1)!.headers.Authorization).toBe(`Bearer ${TOKEN}x`);
  });
});

describe("loader", () => {
  it("exposes window.PrefCenter and mount() on any element", async () => {
    expect(window.PrefCenter!.version).toBe("0.0.0-test");
    const div = document.createElement("div");
    document.body.append(div);
    window.PrefCenter!.mount(div, { api: "https://prefs.example.com", token: TOKEN, locale: "fr" });
    await waitFor(() => div.shadowRoot!.querySelector('[data-pc="save"]'));
    expect(div.shadowRoot!.querySelector('[data-pc="save"]')!.textContent).toBe("Enregistrer");
  });

  it("loading twice does no harm", async () => {
    const first = window.PrefCenter;
    const define = vi.spyOn(window.customElements, "define");
    boot();
    vi.resetModules();
    await import("../src/index");
    expect(define).not.toHaveBeenCalled();
    expect(window.PrefCenter).toBe(first);
    // even with the global flag gone, the registry guard holds
    delete window.__prefcenterLoaded;
    vi.resetModules();
    await import("../src/index");
    expect(define).not.toHaveBeenCalled();
    define.mockRestore();
  });
});
