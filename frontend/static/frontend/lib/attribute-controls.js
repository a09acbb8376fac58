// @ts-check
// The control of one span attribute, the same on the annotation page and the review page: a
// select for a choice or yes/no, checkboxes for several values, and for stance a row of radio
// buttons per target with a select to add a target.

import { el } from "./dom.js";

/**
 * @param {import("./schema.js").Attribute} attribute
 * @param {object} options
 * @param {any} options.value the span's current value
 * @param {string} options.label the span's label key (to mark a required attribute)
 * @param {import("./schema.js").Target[]} options.targets the project's stance targets
 * @param {boolean} options.disabled
 * @param {string} options.idPrefix makes the controls' ids unique on the page
 * @param {(value: any, focusId: string) => void} options.onChange the new value (null for none),
 *   and the id of the control to give the focus back to once the panel is drawn again
 * @returns {HTMLFieldSetElement}
 */
export function attributeControl(attribute, { value, label, targets, disabled, idPrefix, onChange }) {
  const id = `${idPrefix}-${attribute.key}`;
  const required = attribute.required_for.includes(label);
  const wrap = el(
    "fieldset",
    { className: "attribute", dataset: { attribute: attribute.key } },
    el("legend", {}, el("span", { className: "attr-name", title: attribute.description }, attribute.name,
      required ? el("span", { className: "required", title: "required" }, " *") : null)),
  );
  if (attribute.description) wrap.append(el("p", { className: "attr-help" }, attribute.description));
  if (attribute.kind === "choice" || attribute.kind === "boolean") {
    const options = attribute.kind === "boolean" ? [{ value: true, label: "yes" }, { value: false, label: "no" }] : attribute.values;
    const parse = (/** @type {string} */ raw) => (raw === "" ? null : attribute.kind === "boolean" ? raw === "true" : raw);
    wrap.append(
      el("select", { id, disabled, "aria-label": attribute.name, onchange: (/** @type {Event} */ e) => onChange(parse(/** @type {HTMLSelectElement} */ (e.target).value), id) },
        el("option", { value: "" }, "—"),
        ...options.map((o) => el("option", { value: String(o.value), selected: value === o.value, title: o.description || "" }, o.label || o.value))),
    );
    const chosen = options.find((o) => o.value === value);
    if (chosen?.description) wrap.append(el("p", { className: "attr-help" }, chosen.description));
  } else if (attribute.kind === "multi") {
    const chosen = new Set(value || []);
    attribute.values.forEach((option, i) => {
      const boxId = `${id}-${i}`;
      const box = el("input", { type: "checkbox", id: boxId, disabled, checked: chosen.has(option.value), onchange: (/** @type {Event} */ e) => {
        const next = new Set(chosen);
        if (/** @type {HTMLInputElement} */ (e.target).checked) next.add(option.value);
        else next.delete(option.value);
        onChange(attribute.values.map((v) => v.value).filter((v) => next.has(v)), boxId);
      } });
      wrap.append(el("label", { className: "check", title: option.description }, box, ` ${option.value}`));
    });
  } else if (attribute.kind === "target") {
    /** @type {{target: string, stance: string}[]} */
    const entries = value || [];
    entries.forEach((entry, i) => {
      const row = el("div", { className: "stance-row", role: "radiogroup", "aria-label": `Stance toward ${entry.target}` },
        el("span", { className: "target" }, entry.target));
      for (const option of attribute.values) {
        const radioId = `${id}-${i}-${option.value}`;
        row.append(el("label", { className: "radio", title: option.description },
          el("input", { type: "radio", id: radioId, name: `${id}-${i}`, value: option.value, disabled, checked: entry.stance === option.value,
            onchange: () => onChange(entries.map((e, j) => (j === i ? { ...e, stance: option.value } : e)), radioId) }),
          ` ${option.value}`));
      }
      row.append(el("button", { type: "button", className: "small", disabled, "aria-label": `Remove ${entry.target}`,
        onclick: () => onChange(entries.filter((_, j) => j !== i), id) }, "×"));
      wrap.append(row);
    });
    const used = new Set(entries.map((e) => e.target));
    const free = targets.filter((t) => !used.has(t.name));
    if (free.length) {
      wrap.append(
        el("select", { id, disabled, "aria-label": "Add a stance target", onchange: (/** @type {Event} */ e) => {
          const name = /** @type {HTMLSelectElement} */ (e.target).value;
          if (name) onChange([...entries, { target: name, stance: "NEUTRAL" }], id);
        } },
        el("option", { value: "" }, "Add a target…"),
        ...free.map((t) => el("option", { value: t.name, title: t.description || "" }, t.name))),
      );
    }
  }
  return wrap;
}
