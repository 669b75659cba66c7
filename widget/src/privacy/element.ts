// <prefcenter-privacy-request>: the privacy center's form. Step 1: the request and an address; step 2:
// the code sent there; step 3: done. Shadow DOM, labels on every field, a live region for messages.

import { identityRef, problemKey } from "./identity";
import { privacyTexts, REQUEST_TYPES, type PrivacyTexts } from "./texts";

export const PRIVACY_ELEMENT = "prefcenter-privacy-request";

export interface PrivacyConfig {
  api: string;
  locale: string | null;
}

const CSS = `:host{display:block;font:inherit;color:var(--pc-text,#1b1b1f);max-width:36rem}
fieldset{border:0;margin:0 0 1rem;padding:0}legend,label{font-weight:600;display:block;margin:.5rem 0 .25rem}
.choice{display:flex;gap:.5rem;align-items:center;font-weight:400;margin:.25rem 0}
input[type=text],input[type=email],textarea{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #6b6b75;border-radius:6px;overflow-wrap:anywhere}
button{font:inherit;margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:8px;background:var(--pc-accent,#0b57d0);color:var(--pc-accent-text,#fff);cursor:pointer}
button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid var(--pc-focus,#1b1b1f);outline-offset:2px}
.hint{color:var(--pc-muted,#45454d);margin:.25rem 0}.error{color:var(--pc-error,#b3261e)}[hidden]{display:none}`;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, text?: string) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

export class PrivacyRequestElement extends HTMLElement {
  config: PrivacyConfig = { api: "", locale: null };
  private requestId: string | null = null;

  connectedCallback(): void {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    const t = this.texts();
    const style = el("style");
    style.textContent = CSS;
    const status = el("p", { role: "status", "aria-live": "polite", class: "status" });
    const heading = el("h2", {}, t.heading);
    root.append(style, heading, this.requestForm(t, status), this.codeForm(t, status), status);
  }

  private texts(): PrivacyTexts {
    return privacyTexts(this.getAttribute("data-locale") || this.config.locale || document.documentElement.lang);
  }

  private locale(): string {
    return (this.getAttribute("data-locale") || this.config.locale || document.documentElement.lang || "en").split("-")[0];
  }

  private api(): string {
    return (this.getAttribute("data-api") || this.config.api || "").replace(/\/$/, "");
  }

  private requestForm(t: PrivacyTexts, status: HTMLElement): HTMLFormElement {
    const form = el("form", { class: "request" });
    const types = el("fieldset");
    types.append(el("legend", {}, t.typeLegend));
    for (const type of REQUEST_TYPES) {
      const label = el("label", { class: "choice" });
      const radio = el("input", { type: "radio", name: "type", value: type });
      if (type === "access") radio.setAttribute("checked", "");
      label.append(radio, document.createTextNode(t.types[type]));
      types.append(label);
    }
    const details = el("div", { class: "details", hidden: "" });
    details.append(el("label", { for: "pc-details" }, t.details), el("textarea", { id: "pc-details", name: "details", rows: "3", maxlength: "2000" }));
    const identity = el("input", { id: "pc-identity", name: "identity", type: "text", autocomplete: "email", required: "", "aria-describedby": "pc-identity-hint" });
    form.append(types, details, el("label", { for: "pc-identity" }, t.identity), identity, el("p", { id: "pc-identity-hint", class: "hint" }, t.identityHint), el("button", { type: "submit" }, t.send));
    form.addEventListener("change", () => {
      details.hidden = this.chosenType(form) !== "rectification";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.file(form, status, t);
    });
    return form;
  }

  private codeForm(t: PrivacyTexts, status: HTMLElement): HTMLFormElement {
    const form = el("form", { class: "code", hidden: "" });
    form.append(
      el("label", { for: "pc-code" }, t.code),
      el("input", { id: "pc-code", name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]*", maxlength: "12", required: "" }),
      el("button", { type: "submit" }, t.confirm),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.verify(form, status, t);
    });
    return form;
  }

  private chosenType(form: HTMLFormElement): string {
    const checked = form.querySelector<HTMLInputElement>("input[name=type]:checked");
    return checked ? checked.value : "access";
  }

  private say(status: HTMLElement, text: string, error = false): void {
    status.textContent = text;
    status.className = error ? "status error" : "status";
  }

  private async post(path: string, body: unknown): Promise<Response> {
    return fetch(this.api() + path, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    });
  }

  private async file(form: HTMLFormElement, status: HTMLElement, t: PrivacyTexts): Promise<void> {
    const identity = identityRef((form.querySelector("#pc-identity") as HTMLInputElement).value);
    if (!identity) return this.say(status, t.badIdentity, true);
    const type = this.chosenType(form);
    const details = (form.querySelector("#pc-details") as HTMLTextAreaElement).value.trim();
    const body: Record<string, string> = { type, identity, locale: this.locale() };
    if (type === "rectification" && details) body.details = details;
    try {
      const answer = await this.post("/public/v1/privacy-requests", body);
      if (answer.status !== 202) return this.say(status, t[answer.status === 429 ? "tooMany" : answer.status === 422 || answer.status === 400 ? "badIdentity" : "failed"], true);
      this.requestId = (await answer.json()).id;
    } catch {
      return this.say(status, t.failed, true);
    }
    form.hidden = true;
    const code = this.shadowRoot!.querySelector("form.code") as HTMLFormElement;
    code.hidden = false;
    this.say(status, t.codeSent);
    (code.querySelector("#pc-code") as HTMLInputElement).focus();
  }

  private async verify(form: HTMLFormElement, status: HTMLElement, t: PrivacyTexts): Promise<void> {
    const code = (form.querySelector("#pc-code") as HTMLInputElement).value.trim();
    try {
      const answer = await this.post(`/public/v1/privacy-requests/${encodeURIComponent(this.requestId || "")}/verify`, { code });
      if (answer.status !== 200) return this.say(status, t[problemKey(answer.status)], true);
    } catch {
      return this.say(status, t.failed, true);
    }
    form.hidden = true;
    this.say(status, t.done);
    this.dispatchEvent(new CustomEvent("prefcenter:privacy-request-confirmed", { bubbles: true, composed: true, detail: { id: this.requestId } }));
  }
}
