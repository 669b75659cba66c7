// jsdom: data-feedback="ces" asks one effort question after the first save of the session.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { boot } from "../src/index";
import { resolveConfig } from "../src/config";
import { FakeApi, TOKEN } from "./fixtures";

let api: FakeApi;

beforeEach(() => {
  api = new FakeApi();
  vi.stubGlobal("fetch", api.fetch);
  sessionStorage.clear();
  document.body.replaceChildren();
});

afterEach(() => vi.unstubAllGlobals());

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
  boot();
  const el = document.createElement("prefcenter-preferences");
  const all = { "data-api": "https://prefs.example.com", "data-token": TOKEN, "data-touchpoint": "account", "data-locale": "en", ...attrs };
  for (const [k, v] of Object.entries(all)) el.setAttribute(k, v);
  document.body.append(el);
  const shadow = el.shadowRoot!;
  await waitFor(() => shadow.querySelector('[data-pc="save"]'));
  return shadow;
}

async function changeAndSave(s: ShadowRoot): Promise<void> {
  s.querySelector<HTMLInputElement>('input[data-pc="cell"][data-topic="newsletter"][data-channel="sms"]')!.click();
  s.querySelector<HTMLButtonElement>('[data-pc="save"]')!.click();
  await waitFor(() => s.querySelector('[data-pc="status"]')!.textContent === "Saved");
}

describe("the effort question", () => {
  it("is asked after a save, as a labelled group of seven buttons, and sends the answer once", async () => {
    const s = await mountEl({ "data-feedback": "ces" });
    expect(s.querySelector('[data-pc="feedback"]')).toBeNull(); // not before a save
    await changeAndSave(s);
    const box = await waitFor(() => s.querySelector<HTMLFieldSetElement>('fieldset[data-pc="feedback"]'));
    expect(box.querySelector("legend")!.textContent).toBe("How easy was it to update your preferences?");
    expect(s.getElementById(box.getAttribute("aria-describedby")!)!.textContent).toBe("1 = very difficult, 7 = very easy");
    const buttons = Array.from(box.querySelectorAll<HTMLButtonElement>("button"));
    expect(buttons.map((b) => b.textContent)).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
    expect(buttons.every((b) => b.type === "button")).toBe(true);
    buttons[5].click();
    const thanks = s.querySelector<HTMLElement>('[data-pc="feedback-thanks"]')!;
    expect(thanks.textContent).toBe("Thank you for your answer.");
    expect(s.activeElement).toBe(thanks); // focus does not get lost with the buttons
    const sent = await waitFor(() => api.calls.find((c) => c.path === "/v1/feedback"));
    expect(sent.method).toBe("POST");
    expect(sent.body).toEqual({ metric: "ces", score: 6, channel: "web", touchpoint: "account" });
    expect(sent.headers.Authorization).toBe(`Bearer ${TOKEN}`);

    await changeAndSave(s); // asked once per session
    expect(s.querySelector('[data-pc="feedback"]')).toBeNull();
    expect(api.calls.filter((c) => c.path === "/v1/feedback")).toHaveLength(1);
  });

  it("is not asked without data-feedback, nor in agent mode", async () => {
    const s = await mountEl();
    await changeAndSave(s);
    expect(s.querySelector('[data-pc="feedback"]')).toBeNull();
    expect(resolveConfig({ feedback: "ces", mode: "agent" }).feedback).toBeNull();
    expect(resolveConfig({ feedback: "ces" }).feedback).toBe("ces");
  });

  it("speaks German, French and Spanish", async () => {
    for (const [locale, question] of [
      ["de", "Wie einfach war es, Ihre Einstellungen zu ändern?"],
      ["fr", "Était-il facile de modifier vos préférences ?"],
      ["es", "¿Qué tan fácil fue actualizar sus preferencias?"],
    ]) {
      sessionStorage.clear();
      document.body.replaceChildren();
      const s = await mountEl({ "data-feedback": "ces", "data-locale": locale });
      s.querySelector<HTMLInputElement>('input[data-pc="cell"][data-topic="newsletter"][data-channel="sms"]')!.click();
      s.querySelector<HTMLButtonElement>('[data-pc="save"]')!.click();
      const box = await waitFor(() => s.querySelector('fieldset[data-pc="feedback"]'));
      expect(box.querySelector("legend")!.textContent).toBe(question);
    }
  });

  it("a failed send stays quiet", async () => {
    api.failNext(500, (c) => c.path === "/v1/feedback", 3);
    const s = await mountEl({ "data-feedback": "ces" });
    await changeAndSave(s);
    (await waitFor(() => s.querySelector<HTMLButtonElement>('[data-pc="feedback"] button[data-score="2"]'))).click();
    await new Promise((r) => setTimeout(r, 50));
    expect(s.querySelector('[data-pc="status"]')!.textContent).toBe("Saved");
  });
});
