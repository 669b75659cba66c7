import { describe, expect, it } from "vitest";
import {
  applyEdits,
  canUncheck,
  choiceEdits,
  hasEdits,
  initialChoices,
  isServiceMessage,
  planGpc,
  planWrites,
  preferenceStatus,
  signUpChannels,
  type Choices,
  type PlanContext,
} from "../src/state";
import type { Profile } from "../src/types";
import { catalog, profile } from "./fixtures";

const ctx: PlanContext = { touchpoint: "account", method: "checkbox" };

function edit(c: Choices, topic: string, channels: string[]): Choices {
  return { ...c, matrix: { ...c.matrix, [topic]: channels } };
}

describe("initialChoices", () => {
  it("reads consents, preferences (opt-out model, channel-wide opt-outs) and settings", () => {
    const c = initialChoices(catalog(), profile());
    expect(c.matrix).toEqual({
      newsletter: ["email"],
      offers: [],
      product_updates: ["email", "post"],
      surveys: ["email"],
    });
    expect(c).toMatchObject({ doNotContact: false, preferredChannel: "email", language: "de", frequency: "weekly" });
  });

  it("counts pending double opt-in consents as chosen, ignores withdrawn/expired", () => {
    const p = profile();
    p.consents.push({ id: "c2", topic: "offers", channels: ["sms"], status: "pending_confirmation" });
    p.consents.push({ id: "c3", topic: "offers", channels: ["post"], status: "expired" });
    p.consents[0].status = "withdrawn";
    const c = initialChoices(catalog(), p);
    expect(c.matrix.offers).toEqual(["sms"]);
    expect(c.matrix.newsletter).toEqual([]);
  });

  it("channel-wide opt-out turns a preference topic off unless allow_when_channel_opted_out", () => {
    const cat = catalog();
    const topic = { ...cat.topics[2], channels: ["sms"] };
    const p = profile();
    expect(preferenceStatus(p, topic, "sms")).toBe("opted_out");
    expect(preferenceStatus(p, { ...topic, allow_when_channel_opted_out: true }, "sms")).toBe("opted_in");
  });
});

describe("planWrites", () => {
  const cat = catalog();
  const base = initialChoices(cat, profile());

  it("sends nothing when nothing changed", () => {
    expect(planWrites(cat, profile(), base, ctx)).toEqual([]);
  });

  it("preference topic: only the changed cells, in one PATCH", () => {
    const writes = planWrites(cat, profile(), edit(base, "product_updates", ["email"]), ctx);
    expect(writes).toEqual([
      { kind: "preferences", body: { touchpoint: "account", items: [{ channel: "post", topic: "product_updates", status: "opted_out" }] } },
    ]);
  });

  it("consent topic: granting a new consent with the current notice version", () => {
    const writes = planWrites(cat, profile(), edit(base, "offers", ["email", "post"]), ctx);
    expect(writes).toEqual([
      {
        kind: "grant",
        body: { topic: "offers", channels: ["email", "post"], notice_version: 1, method: "checkbox", touchpoint: "account" },
      },
    ]);
  });

  it("consent topic: unchecking every channel withdraws", () => {
    expect(planWrites(cat, profile(), edit(base, "newsletter", []), ctx)).toEqual([
      { kind: "withdraw", consentId: "c1", topic: "newsletter", body: { touchpoint: "account", method: "checkbox" } },
    ]);
  });

  it("consent topic: adding a channel grants a consent for the new set (old one is a subset, kept)", () => {
    const writes = planWrites(cat, profile(), edit(base, "newsletter", ["email", "sms"]), ctx);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ kind: "grant", body: { topic: "newsletter", channels: ["email", "sms"], notice_version: 2 } });
  });

  it("consent topic: replacing the set grants the new set first, then withdraws the old consent", () => {
    const writes = planWrites(cat, profile(), edit(base, "newsletter", ["sms"]), ctx);
    expect(writes.map((w) => w.kind)).toEqual(["grant", "withdraw"]);
    expect(writes[0]).toMatchObject({ body: { channels: ["sms"] } });
    expect(writes[1]).toMatchObject({ consentId: "c1" });
  });

  it("agent context: verbal consents with the agent note", () => {
    const agent: PlanContext = { touchpoint: "support", method: "verbal", note: "recorded by agent a-7" };
    const writes = planWrites(cat, profile(), edit(edit(base, "offers", ["sms"]), "newsletter", []), agent);
    expect(writes[0]).toMatchObject({ kind: "grant", body: { method: "verbal", touchpoint: "support", evidence: { note: "recorded by agent a-7" } } });
    expect(writes[1]).toMatchObject({ kind: "withdraw", body: { method: "verbal", touchpoint: "support" } });
  });

  it("do_not_contact and settings go in the PATCH, before grants and withdrawals", () => {
    const choices: Choices = {
      ...edit(edit(base, "offers", ["email"]), "newsletter", []),
      doNotContact: true,
      frequency: "monthly",
      preferredChannel: null,
    };
    const writes = planWrites(cat, profile(), choices, ctx);
    expect(writes.map((w) => w.kind)).toEqual(["preferences", "grant", "withdraw"]);
    expect(writes[0]).toEqual({
      kind: "preferences",
      body: { touchpoint: "account", do_not_contact: true, preferred_channel: null, frequency: "monthly" },
    });
  });

  it("re-granting clears an explicit opt-out of that topic (e.g. left by GPC)", () => {
    const p = profile();
    p.preferences.push({ channel: "email", topic: "offers", status: "opted_out" });
    const writes = planWrites(cat, p, edit(base, "offers", ["email"]), ctx);
    expect(writes.map((w) => w.kind)).toEqual(["preferences", "grant"]);
    expect(writes[0]).toMatchObject({ body: { items: [{ channel: "email", topic: "offers", status: "opted_in" }] } });
  });

  it("converges: once the writes are applied the plan is empty", () => {
    const p: Profile = profile();
    const wanted = edit(base, "newsletter", ["sms"]);
    p.consents.push({ id: "c9", topic: "newsletter", channels: ["sms"], status: "granted" });
    // grant landed, withdrawal not yet: only the withdrawal remains
    expect(planWrites(cat, p, wanted, ctx).map((w) => w.kind)).toEqual(["withdraw"]);
    p.consents[0].status = "withdrawn";
    expect(planWrites(cat, p, wanted, ctx)).toEqual([]);
  });

  it("a consent topic without a notice cannot be granted", () => {
    const c2 = catalog();
    c2.topics[1].notice = null;
    expect(planWrites(c2, profile(), edit(base, "offers", ["email"]), ctx)).toEqual([]);
  });
});

describe("edits", () => {
  it("round-trips and re-applies the user's cells on top of a newer profile", () => {
    const cat = catalog();
    const base = initialChoices(cat, profile());
    const mine = { ...edit(base, "product_updates", ["email"]), language: "fr" };
    const edits = choiceEdits(base, mine);
    expect(edits).toEqual({ cells: { "product_updates post": false }, settings: { language: "fr" } });
    expect(hasEdits(edits)).toBe(true);
    expect(hasEdits(choiceEdits(base, base))).toBe(false);

    // someone else opted surveys out meanwhile; our edit must not undo that
    const newer = profile();
    newer.revision = 13;
    newer.preferences.push({ channel: "email", topic: "surveys", status: "opted_out" });
    const reapplied = applyEdits(initialChoices(cat, newer), edits);
    expect(reapplied.matrix.surveys).toEqual([]);
    expect(reapplied.matrix.product_updates).toEqual(["email"]);
    expect(planWrites(cat, newer, reapplied, ctx)).toEqual([
      {
        kind: "preferences",
        body: { touchpoint: "account", items: [{ channel: "post", topic: "product_updates", status: "opted_out" }], language: "fr" },
      },
    ]);
  });
});

describe("planGpc", () => {
  it("opts honour_gpc topics that are not already out out of all their channels, withdraws their consents", () => {
    const plan = planGpc(catalog(), profile(), "account");
    expect(plan.topics.map((t) => t.key)).toEqual(["newsletter", "surveys"]); // offers: no consent = already out
    expect(plan.writes).toEqual([
      {
        kind: "preferences",
        body: {
          touchpoint: "account",
          reason: "gpc",
          items: [
            { channel: "email", topic: "newsletter", status: "opted_out" },
            { channel: "sms", topic: "newsletter", status: "opted_out" },
            { channel: "email", topic: "surveys", status: "opted_out" },
          ],
        },
      },
      { kind: "withdraw", consentId: "c1", topic: "newsletter", body: { touchpoint: "account", method: "gpc", reason: "gpc" } },
    ]);
  });

  it("does nothing when everything is already out", () => {
    const p = profile();
    p.consents = [];
    p.preferences.push({ channel: "email", topic: "surveys", status: "opted_out" });
    expect(planGpc(catalog(), p, "web")).toEqual({ topics: [], writes: [] });
  });
});

describe("service messages and sign-up channels", () => {
  const cat = catalog();
  const offers = cat.topics.find((t) => t.key === "offers")!;
  const billing = { ...offers, key: "billing", legal_basis: "contract" as const, optional: false, notice: null };

  it("a service message keeps its last channel; an optional topic may lose all", () => {
    expect(isServiceMessage(billing)).toBe(true);
    expect(isServiceMessage(offers)).toBe(false);
    expect(canUncheck(billing, ["email"], "email")).toBe(false);
    expect(canUncheck(billing, ["email", "sms"], "email")).toBe(true);
    expect(canUncheck(offers, ["email"], "email")).toBe(true);
  });

  it("a sign-up consents to the wanted channels the topic offers, else its first channel", () => {
    expect(signUpChannels(cat, offers, null)).toEqual(["email"]);
    expect(signUpChannels(cat, offers, ["post", "sms", "push"])).toEqual(["sms", "post"]);
    expect(signUpChannels(cat, offers, ["push"])).toEqual(["email"]);
  });
});
