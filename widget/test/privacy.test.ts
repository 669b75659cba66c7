// <prefcenter-privacy-request>: the identity rule, and the two steps against a fake API.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { identityRef, problemKey } from "../src/privacy/identity";
import { privacyTexts } from "../src/privacy/texts";

describe("identityRef", () => {
  it("reads an email or an international phone number, nothing else", () => {
    expect(identityRef(" ann@example.com ")).toBe("email:ann@example.com");
    expect(identityRef("+49 151 1234-5678")).toBe("phone:+4915112345678");
    expect(identityRef("0151 12345678")).toBeNull();
    expect(identityRef("ann")).toBeNull();
  });

  it("maps problem statuses to messages", () => {
    expect(problemKey(400)).toBe("wrongCode");
    expect(problemKey(429)).toBe("tooMany");
    expect(problemKey(410)).toBe("expired");
    expect(problemKey(500)).toBe("failed");
  });

  it("speaks the person's language, English when it is missing", () => {
    expect(privacyTexts("de-AT").send).toBe("Code senden");
    expect(privacyTexts("xx").send).toBe("Send me a code");
  });
});

describe("built privacy bundle", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("files a request, confirms the code and says so, in German", async () => {
    const calls: { url: string; body: Record<string, string> }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push({ url, body: JSON.parse(String(init.body)) });
      if (url.endsWith("/verify")) return new Response(JSON.stringify({ id: "r1", status: "confirmed" }), { status: 200 });
      return new Response(JSON.stringify({ id: "r1", status: "awaiting_code", code_sent_to: "email" }), { status: 202 });
    });
    const script = document.createElement("script");
    script.setAttribute("src", "https://prefs.example.com/widget/v1/privacy.js");
    script.setAttribute("data-api", "https://prefs.example.com");
    script.setAttribute("data-locale", "de");
    document.head.append(script);
    const code = readFileSync(resolve(__dirname, "../../src/prefcenter/privacy/widget/privacy.js"), "utf8");
    const define = vi.spyOn(window.customElements, "define");
    new Function(code)();
    new Function(code)();
    expect(define).toHaveBeenCalledTimes(1);

    const el = document.createElement("prefcenter-privacy-request");
    document.body.append(el);
    const root = el.shadowRoot!;
    expect(root.querySelector("h2")!.textContent).toBe("Ihre Datenschutzanfrage");
    const rect = root.querySelector<HTMLInputElement>("input[value=rectification]")!;
    rect.checked = true;
    rect.dispatchEvent(new Event("change", { bubbles: true }));
    expect(root.querySelector<HTMLElement>(".details")!.hidden).toBe(false);
    root.querySelector<HTMLTextAreaElement>("#pc-details")!.value = "Name: Meier, nicht Maier";
    root.querySelector<HTMLInputElement>("#pc-identity")!.value = "ann@example.com";
    root.querySelector<HTMLFormElement>("form.request")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(root.querySelector<HTMLFormElement>("form.code")!.hidden).toBe(false));
    expect(calls[0]).toEqual({
      url: "https://prefs.example.com/public/v1/privacy-requests",
      body: { type: "rectification", identity: "email:ann@example.com", locale: "de", details: "Name: Meier, nicht Maier" },
    });
    const confirmed = vi.fn();
    el.addEventListener("prefcenter:privacy-request-confirmed", confirmed);
    root.querySelector<HTMLInputElement>("#pc-code")!.value = "123456";
    root.querySelector<HTMLFormElement>("form.code")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(confirmed).toHaveBeenCalled());
    expect(calls[1]).toEqual({ url: "https://prefs.example.com/public/v1/privacy-requests/r1/verify", body: { code: "123456" } });
    expect(root.querySelector(".status")!.textContent).toContain("Ihre Anfrage ist bestätigt");
  });

  it("says a bad address in the person's words without calling the API", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    const el = document.createElement("prefcenter-privacy-request");
    el.setAttribute("data-locale", "en");
    document.body.append(el);
    const root = el.shadowRoot!;
    root.querySelector<HTMLInputElement>("#pc-identity")!.value = "not an address";
    root.querySelector<HTMLFormElement>("form.request")!.dispatchEvent(new Event("submit", { cancelable: true }));
    expect(fetch).not.toHaveBeenCalled();
    expect(root.querySelector(".status")!.textContent).toContain("email address or a phone number");
  });
});
