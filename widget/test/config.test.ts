import { describe, expect, it } from "vitest";
import { configProblems, findScript, readAttributes, resolveConfig, subjectFromToken } from "../src/config";
import { jwt, SUBJECT, TOKEN } from "./fixtures";

function el(attrs: Record<string, string>, tag = "div"): Element {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

describe("readAttributes", () => {
  it("reads every data-* attribute and splits data-topics", () => {
    const cfg = readAttributes(
      el({
        "data-api": "https://prefs.example.com/",
        "data-token": TOKEN,
        "data-touchpoint": "account",
        "data-locale": "de",
        "data-mode": "compact",
        "data-agent-id": "a-7",
        "data-topics": " newsletter, offers ,",
        "data-subject": "s-1",
      }),
    );
    expect(cfg).toEqual({
      api: "https://prefs.example.com/",
      token: TOKEN,
      touchpoint: "account",
      locale: "de",
      mode: "compact",
      agentId: "a-7",
      topics: ["newsletter", "offers"],
      subject: "s-1",
    });
  });

  it("skips empty attributes and unknown modes", () => {
    expect(readAttributes(el({ "data-api": "  ", "data-mode": "fancy" }))).toEqual({});
    expect(readAttributes(null)).toEqual({});
  });
});

describe("resolveConfig", () => {
  it("layers sources (later wins), trims the api slash and takes the subject from the token", () => {
    const cfg = resolveConfig({ api: "https://a.example/", token: TOKEN, locale: "fr" }, { locale: "de", mode: "agent" });
    expect(cfg).toMatchObject({ api: "https://a.example", subject: SUBJECT, locale: "de", mode: "agent", touchpoint: "support" });
  });

  it("defaults: full mode, web touchpoint; compact -> signup", () => {
    expect(resolveConfig({}).mode).toBe("full");
    expect(resolveConfig({}).touchpoint).toBe("web");
    expect(resolveConfig({ mode: "compact" }).touchpoint).toBe("signup");
    expect(resolveConfig({ mode: "compact", touchpoint: "pos" }).touchpoint).toBe("pos");
  });

  it("data-subject overrides the token's sub", () => {
    expect(resolveConfig({ token: TOKEN }, { subject: "other" }).subject).toBe("other");
  });

  it("reports missing api / token / subject", () => {
    expect(configProblems(resolveConfig({}))).toEqual(["data-api", "data-token", "data-subject"]);
    expect(configProblems(resolveConfig({ api: "x", token: TOKEN }))).toEqual([]);
  });
});

describe("subjectFromToken", () => {
  it("decodes base64url payloads with - and _ and no padding", () => {
    const token = jwt({ sub: "ü?>~", x: "???>>>" });
    expect(token.split(".")[1]).toMatch(/[-_]/);
    expect(subjectFromToken(token)).toBe("ü?>~");
  });

  it("returns null for garbage", () => {
    expect(subjectFromToken("nope")).toBeNull();
    expect(subjectFromToken("a.%%%.c")).toBeNull();
    expect(subjectFromToken(jwt({ nosub: 1 }))).toBeNull();
    expect(subjectFromToken(undefined)).toBeNull();
  });
});

describe("findScript", () => {
  it("falls back to the last script whose src ends in prefcenter.js", () => {
    document.head.append(el({ src: "https://cdn.example/other.js" }, "script"));
    const ours = el({ src: "https://prefs.example.com/widget/v1/prefcenter.js", "data-api": "https://prefs.example.com" }, "script");
    document.head.append(ours);
    expect(findScript(document)).toBe(ours);
    expect(readAttributes(findScript(document)).api).toBe("https://prefs.example.com");
    ours.remove();
  });

  it("prefers the configured tag when the bundle is included twice", () => {
    const configured = el({ src: "https://prefs.example.com/widget/v1/prefcenter.js", "data-api": "https://prefs.example.com" }, "script");
    const plain = el({ src: "https://prefs.example.com/widget/v1/prefcenter.js" }, "script");
    document.head.append(configured, plain);
    expect(findScript(document)).toBe(configured);
    configured.remove();
    plain.remove();
  });
});
