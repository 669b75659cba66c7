// The one question the widget may ask after a save (data-feedback="ces"): how easy was it, 1 to 7.

import type { Translate } from "./i18n";
import { h } from "./render";

/** A group of seven buttons; choosing one calls onAnswer once and leaves a focused thank-you line. */
export function effortQuestion(t: Translate, onAnswer: (score: number) => void): HTMLElement {
  const scale = h("p", { class: "pc-hint", id: "pc-ces-scale" }, t("cesScale"));
  const row = h("div", { class: "pc-scale" });
  const box = h("fieldset", { class: "pc-ces", "data-pc": "feedback", "aria-describedby": "pc-ces-scale" }, h("legend", {}, t("cesQuestion")), row, scale);
  for (let score = 1; score <= 7; score++) {
    row.append(
      h("button", {
        type: "button",
        class: "pc-btn pc-secondary",
        "data-score": String(score),
        onclick: () => {
          const thanks = h("p", { class: "pc-note", tabindex: "-1", "data-pc": "feedback-thanks" }, t("cesThanks"));
          box.replaceWith(thanks);
          thanks.focus();
          onAnswer(score);
        },
      }, String(score)),
    );
  }
  return box;
}
