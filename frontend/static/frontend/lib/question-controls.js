// @ts-check
// The control of one article question, the same wherever a layer's answers are shown: radio
// buttons for an ordinal scale, a choice and yes/no, a slider between the anchors for an
// interval scale, checkboxes for several choices. Keyboard reachable as native inputs are.

import { el } from "./dom.js";

/**
 * @typedef {{value: any, label?: string}} Point
 * @typedef {{key: string, name: string, kind: "ordinal"|"interval"|"choice"|"multi"|"boolean",
 *   description: string, points: Point[], required: boolean}} Question
 */

/**
 * @param {Question} question
 * @param {object} options
 * @param {any} options.value the current answer (undefined or null: none yet)
 * @param {boolean} options.disabled
 * @param {string} options.idPrefix makes the controls' ids unique on the page
 * @param {(value: any) => void} options.onChange the new answer (null: withdrawn)
 * @returns {HTMLFieldSetElement}
 */
export function questionControl(question, { value, disabled, idPrefix, onChange }) {
  const id = `${idPrefix}-${question.key}`;
  const answered = value !== undefined && value !== null;
  const wrap = el(
    "fieldset",
    { className: "question", dataset: { question: question.key, kind: question.kind } },
    el("legend", {}, question.name, question.required ? el("span", { className: "required", title: "required" }, " *") : null),
  );
  if (question.description) wrap.append(el("p", { className: "attr-help" }, question.description));
  /** @param {{value: any, label?: string}[]} options @param {string} type */
  const boxes = (options, type) =>
    el("div", { className: `question-options ${question.kind}` },
      ...options.map((option, i) => {
        const checked = type === "checkbox" ? (value || []).includes(option.value) : answered && value === option.value;
        return el("label", { className: "check", htmlFor: `${id}-${i}` },
          el("input", { type, id: `${id}-${i}`, name: id, disabled, checked, onchange: (/** @type {Event} */ e) => {
            if (type === "radio") return onChange(option.value);
            const on = /** @type {HTMLInputElement} */ (e.target).checked;
            const chosen = options.map((o) => o.value).filter((v) => (v === option.value ? on : (value || []).includes(v)));
            onChange(chosen.length ? chosen : null);
          } }),
          ` ${question.kind === "ordinal" ? option.value : option.label || option.value}`,
          question.kind === "ordinal" && option.label ? el("span", { className: "anchor" }, ` ${option.label}`) : null);
      }));
  if (question.kind === "boolean") wrap.append(boxes([{ value: true, label: "Yes" }, { value: false, label: "No" }], "radio"));
  else if (question.kind === "multi") wrap.append(boxes(question.points, "checkbox"));
  else if (question.kind === "ordinal" || question.kind === "choice") wrap.append(boxes(question.points, "radio"));
  else if (question.kind === "interval") {
    const low = question.points[0].value;
    const high = question.points[question.points.length - 1].value;
    const integers = question.points.every((p) => Number.isInteger(p.value));
    const shown = el("output", { htmlFor: id }, answered ? String(value) : "not answered");
    const slider = el("input", {
      type: "range", id, min: low, max: high, step: integers ? 1 : "any", disabled,
      value: answered ? value : (low + high) / 2, "aria-label": question.name,
      "aria-valuetext": answered ? String(value) : "not answered",
      onchange: (/** @type {Event} */ e) => onChange(Number(/** @type {HTMLInputElement} */ (e.target).value)),
    });
    wrap.append(
      el("div", { className: "scale" }, slider, shown),
      el("div", { className: "anchors", "aria-hidden": "true" }, ...question.points.map((p) => el("span", {}, `${p.value}${p.label ? ` ${p.label}` : ""}`))),
    );
  }
  if (answered && !question.required && !disabled) {
    wrap.append(el("button", { type: "button", className: "small", onclick: () => onChange(null) }, "Clear the answer"));
  }
  return wrap;
}

/** An answer as text: "4", "NEWS", "NEWS, SATIRE", "yes". @param {any} value */
export function answerText(value) {
  if (value === true) return "yes";
  if (value === false) return "no";
  if (Array.isArray(value)) return value.join(", ");
  return value === null || value === undefined ? "—" : String(value);
}
