import { describe, expect, it } from "vitest";
import { LOCALES, MESSAGES, pickLocale, translator } from "../src/i18n";

describe("i18n", () => {
  it("picks the first supported locale, by base language, else en", () => {
    expect(pickLocale("de-AT")).toBe("de");
    expect(pickLocale(null, "pt-BR", "fr_CA")).toBe("fr");
    expect(pickLocale("ES")).toBe("es");
    expect(pickLocale(undefined, "ja")).toBe("en");
    expect(pickLocale()).toBe("en");
  });

  it("translates with parameters and falls back to English for unknown locales", () => {
    expect(translator("de")("cellLabel", { topic: "Newsletter", channel: "E-Mail" })).toBe("Newsletter per E-Mail");
    expect(translator("xx")("save")).toBe("Save");
    expect(translator("en")("agentBanner", { id: "a-7" })).toBe("Recording on behalf of the customer (agent a-7)");
  });

  it("has every string in en, de, fr and es", () => {
    expect(LOCALES).toEqual(["en", "de", "fr", "es"]);
    const keys = Object.keys(MESSAGES.en).sort();
    for (const l of LOCALES) {
      expect(Object.keys(MESSAGES[l]).sort()).toEqual(keys);
      for (const k of keys) expect((MESSAGES[l] as Record<string, string>)[k]).not.toBe("");
    }
  });
});
