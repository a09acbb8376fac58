// @ts-check
// A page form that sends its fields to an API endpoint as JSON and shows the API's refusals
// beside the fields they name: the API does all the checking, the page none of its own.

import { api, ApiError } from "./api.js";
import { el } from "./dom.js";

/**
 * The form's fields as JSON: checkboxes as booleans, number inputs as numbers, a textarea with
 * data-lines as a list of its non-blank lines, the rest as strings.
 * @param {HTMLFormElement} form
 */
export function formJson(form) {
  /** @type {Record<string, any>} */
  const body = {};
  for (const field of /** @type {any[]} */ ([...form.elements])) {
    if (!field.name || field.disabled) continue;
    if (field.type === "checkbox") body[field.name] = field.checked;
    else if (field.type === "number") body[field.name] = field.value === "" ? null : Number(field.value);
    else if (field.dataset.lines !== undefined) body[field.name] = field.value.split("\n").map((/** @type {string} */ l) => l.trim()).filter(Boolean);
    else body[field.name] = field.value;
  }
  return body;
}

/**
 * Send `form` to its data-url with `method` on submit; `onSaved` gets the answer's data. A
 * refusal's messages go beside the fields they name, the rest above the buttons.
 * @param {HTMLFormElement} form @param {"post"|"patch"|"put"} method @param {(data: any) => void} onSaved
 */
export function apiForm(form, method, onSaved) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const old of form.querySelectorAll(".field-error")) old.remove();
    const status = /** @type {HTMLElement} */ (form.querySelector("[role=status]"));
    status.textContent = "Saving…";
    try {
      const { data } = await api[method](String(form.dataset.url), formJson(form));
      status.textContent = "Saved.";
      onSaved(data);
    } catch (error) {
      status.textContent = error instanceof ApiError ? "Not saved: see the messages." : `Not saved: ${error.message}`;
      const body = error instanceof ApiError && error.body && typeof error.body === "object" ? error.body : {};
      for (const [name, messages] of Object.entries(body)) {
        const field = /** @type {HTMLElement|null} */ (form.querySelector(`[name="${CSS.escape(name)}"]`));
        const note = el("p", { className: "field-error error", role: "alert" }, [].concat(messages).join(" "));
        if (field) field.after(note);
        else status.before(note);
      }
    }
  });
}
