// Entry point of the privacy bundle (/widget/v1/privacy.js): read data-api / data-locale from its script
// tag and define <prefcenter-privacy-request> once (a second copy of the script does nothing).

import { PRIVACY_ELEMENT, PrivacyRequestElement } from "./element";

const SCRIPT_SRC = /\/widget\/v1\/privacy\.js(\?|#|$)/;

export function boot(): void {
  if (typeof window === "undefined" || !window.customElements || window.customElements.get(PRIVACY_ELEMENT)) return;
  const current = document.currentScript instanceof HTMLScriptElement ? document.currentScript : null;
  const script =
    current && SCRIPT_SRC.test(current.src)
      ? current
      : Array.from(document.querySelectorAll<HTMLScriptElement>("script[src]")).filter((s) => SCRIPT_SRC.test(s.src)).pop();
  const api = script?.getAttribute("data-api") || (script ? new URL(script.src, location.href).origin : location.origin);
  const locale = script?.getAttribute("data-locale") || null;
  class Configured extends PrivacyRequestElement {
    constructor() {
      super();
      this.config = { api, locale };
    }
  }
  window.customElements.define(PRIVACY_ELEMENT, Configured);
}

boot();
