// Entry point of the IIFE bundle: read the script tag's config once, define the element, expose
// window.PrefCenter. Loading the script twice does nothing the second time.

import { findScript, readAttributes, type ConfigInput } from "./config";
import { defineElement, ELEMENT_NAME, mount } from "./element";

declare const __VERSION__: string;

export interface PrefCenterGlobal {
  version: string;
  mount(el: Element, config?: ConfigInput): void;
}

declare global {
  interface Window {
    PrefCenter?: PrefCenterGlobal;
    __prefcenterLoaded?: boolean;
  }
}

export const version = __VERSION__;

export function boot(): void {
  if (typeof window === "undefined" || !window.customElements) return;
  if (window.__prefcenterLoaded || window.customElements.get(ELEMENT_NAME)) return;
  window.__prefcenterLoaded = true;
  const scriptConfig = readAttributes(findScript(document));
  window.PrefCenter = {
    version,
    mount: (el, config) => void mount(el, config, scriptConfig),
  };
  defineElement(window.customElements, scriptConfig);
}

boot();
