// The built IIFE bundle (as served): loads twice harmlessly and reads config from its script tag.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { FakeApi, TOKEN } from "./fixtures";

const bundlePath = resolve(__dirname, "../../src/prefcenter/web/widget/prefcenter.js");
const pkg = JSON.parse(readFileSync(resolve(__dirname, "../package.json"), "utf8"));

describe("built bundle", () => {
  it("takes config from its script tag, defines the element once, exposes PrefCenter", async () => {
    const code = readFileSync(bundlePath, "utf8");
    const api = new FakeApi();
    vi.stubGlobal("fetch", api.fetch);
    const script = document.createElement("script");
    script.setAttribute("src", "https://prefs.example.com/widget/v1/prefcenter.js");
    script.setAttribute("data-api", "https://prefs.example.com");
    script.setAttribute("data-token", TOKEN);
    script.setAttribute("data-locale", "es");
    document.head.append(script);

    const define = vi.spyOn(window.customElements, "define");
    new Function(code)();
    new Function(code)(); // second copy of the snippet on the page
    expect(define).toHaveBeenCalledTimes(1);
    expect(window.PrefCenter!.version).toBe(pkg.version);

    const el = document.createElement("prefcenter-preferences");
    document.body.append(el);
    const shadow = el.shadowRoot!;
    for (let i = 0; i < 400 && !shadow.querySelector('[data-pc="save"]'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(shadow.querySelector('[data-pc="save"]')!.textContent).toBe("Guardar");
    expect(api.calls[0].headers.Authorization).toBe(`Bearer ${TOKEN}`);
    vi.unstubAllGlobals();
  });
});
