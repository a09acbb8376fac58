// @ts-check
// The schema editor: a project's labels, attributes and stance targets as forms, a live preview
// drawn with the annotation page's own label buttons and attribute controls, and JSON files in
// and out. Saving sends the whole schema to the API (PUT .../schema/), which checks everything;
// the page shows the API's refusals, naming the field.
import { api, ApiError } from "./lib/api.js";
import { attributeControl } from "./lib/attribute-controls.js";
import { $, el } from "./lib/dom.js";
import { labelButton } from "./lib/label-buttons.js";
import { questionControl } from "./lib/question-controls.js";
import { attributesFor } from "./lib/schema.js";

/** @typedef {import("./lib/schema.js").Schema} Schema */

const root = $("schema-editor");
const url = String(root.dataset.url);
/** @type {Schema & {locked: boolean}} */
let schema = (await api.get(url)).data;
/** What exists on the server: while spans exist, these rows cannot be removed or redefined. */
let saved = snapshot(schema);
let previewLabel = schema.labels[0]?.key || "";

const QUESTION_KINDS = [
  ["ordinal", "Ordinal scale (e.g. reliability 1–5)"],
  ["interval", "Interval scale (e.g. bias −3 to +3)"],
  ["choice", "One choice"],
  ["multi", "Several choices"],
  ["boolean", "Yes or no"],
];

/** What a field missing from a loaded file starts as (text fields: ""). */
const EMPTY = { values: [], applies_to: [], required_for: [], points: [], required: false };

const KINDS = [
  ["choice", "One value"],
  ["multi", "Several values"],
  ["boolean", "Yes or no"],
  ["target", "Stance toward targets"],
];

/** @param {Schema} s */
function snapshot(s) {
  return {
    labels: new Set(s.labels.map((l) => l.key)),
    attributes: new Set(s.attributes.map((a) => a.key)),
    targets: new Set(s.targets.map((t) => t.name)),
    questions: new Set((s.questions || []).map((q) => q.key)),
  };
}

/** Whether a row that exists on the server is fixed in meaning (spans exist). */
const fixed = (/** @type {"labels"|"attributes"|"targets"|"questions"} */ part, /** @type {string} */ key) =>
  schema.locked && saved[part].has(key);

/** "VALUE: what it means" per line, for a choice attribute's values. @param {string} text */
function parseValues(text) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf(":");
      return at < 0 ? { value: line, description: "" } : { value: line.slice(0, at).trim(), description: line.slice(at + 1).trim() };
    });
}

/** @param {import("./lib/schema.js").AttributeValue[]} values */
const valuesText = (values) => values.map((v) => (v.description ? `${v.value}: ${v.description}` : String(v.value))).join("\n");

/**
 * A labelled input bound to `row[field]`: typing changes the schema and redraws the preview.
 * @param {Record<string, any>} row @param {string} field @param {string} label @param {string} id
 * @param {Record<string, any>} [props] @param {boolean} [wide] a whole row to itself
 */
function input(row, field, label, id, props = {}, wide = false) {
  return el("div", { className: wide ? "field wide" : "field" },
    el("label", { htmlFor: id }, label),
    el("input", { id, value: row[field] ?? "", ...props, oninput: (/** @type {Event} */ e) => {
      row[field] = /** @type {HTMLInputElement} */ (e.target).value;
      renderPreview();
    } }));
}

/** @param {any[]} list @param {number} i @param {string} what @param {boolean} locked */
function rowButtons(list, i, what, locked) {
  const move = (/** @type {number} */ by) => () => {
    const [row] = list.splice(i, 1);
    list.splice(i + by, 0, row);
    render();
  };
  return el("div", { className: "row-buttons" },
    el("button", { type: "button", className: "small", disabled: i === 0, "aria-label": `Move ${what} up`, onclick: move(-1) }, "↑"),
    el("button", { type: "button", className: "small", disabled: i === list.length - 1, "aria-label": `Move ${what} down`, onclick: move(1) }, "↓"),
    el("button", { type: "button", className: "small danger", disabled: locked, "aria-label": `Remove ${what}`,
      title: locked ? "Spans use the schema: this cannot be removed." : "", onclick: () => { list.splice(i, 1); render(); } }, "Remove"));
}

function renderLabels() {
  return schema.labels.map((label, i) => {
    const locked = fixed("labels", label.key);
    const id = `label-${i}`;
    return el("fieldset", { className: "schema-row" },
      el("legend", {}, `Label ${i + 1}`, locked ? el("span", { className: "hint" }, " (in use)") : null),
      input(label, "key", "Key (in exports)", `${id}-key`, { disabled: locked, required: true, pattern: "[-a-zA-Z0-9_]+" }),
      input(label, "name", "Name", `${id}-name`),
      input(label, "color", "Colour", `${id}-color`, { type: "color" }),
      input(label, "shortcut", "Key to press", `${id}-shortcut`, { maxLength: 1, className: "short" }),
      input(label, "description", "Definition annotators see", `${id}-description`, {}, true),
      rowButtons(schema.labels, i, `label ${label.key}`, locked));
  });
}

/** Checkboxes naming labels: which labels an attribute applies to or is required for. */
function labelChoices(/** @type {any} */ attribute, /** @type {"applies_to"|"required_for"} */ field, /** @type {string} */ legend, /** @type {boolean} */ disabled, /** @type {string} */ id) {
  return el("fieldset", { className: "plain label-choices" }, el("legend", {}, legend),
    ...schema.labels.map((label, j) => el("label", { className: "check" },
      el("input", { type: "checkbox", id: `${id}-${j}`, disabled, checked: attribute[field].includes(label.key), onchange: (/** @type {Event} */ e) => {
        const on = /** @type {HTMLInputElement} */ (e.target).checked;
        attribute[field] = schema.labels.map((l) => l.key).filter((key) => (key === label.key ? on : attribute[field].includes(key)));
        renderPreview();
      } }), ` ${label.name || label.key}`)));
}

function renderAttributes() {
  return schema.attributes.map((attribute, i) => {
    const locked = fixed("attributes", attribute.key);
    const id = `attribute-${i}`;
    const hasValues = attribute.kind !== "boolean";
    return el("fieldset", { className: "schema-row" },
      el("legend", {}, `Attribute ${i + 1}`, locked ? el("span", { className: "hint" }, " (in use: its kind, values and labels stay)") : null),
      input(attribute, "key", "Key", `${id}-key`, { disabled: locked, required: true }),
      input(attribute, "name", "Name", `${id}-name`),
      el("div", { className: "field" }, el("label", { htmlFor: `${id}-kind` }, "Kind"),
        el("select", { id: `${id}-kind`, disabled: locked, onchange: (/** @type {Event} */ e) => {
          attribute.kind = /** @type {any} */ (/** @type {HTMLSelectElement} */ (e.target).value);
          render();
        } }, ...KINDS.map(([value, text]) => el("option", { value, selected: attribute.kind === value }, text)))),
      input(attribute, "description", "What it asks", `${id}-description`, {}, true),
      hasValues ? el("div", { className: "field wide" },
        el("label", { htmlFor: `${id}-values` }, attribute.kind === "target" ? "Stance values, one per line (VALUE: meaning)" : "Values, one per line (VALUE: meaning)"),
        el("textarea", { id: `${id}-values`, rows: 4, value: valuesText(attribute.values), oninput: (/** @type {Event} */ e) => {
          attribute.values = parseValues(/** @type {HTMLTextAreaElement} */ (e.target).value);
          renderPreview();
        } })) : null,
      labelChoices(attribute, "applies_to", "Applies to (none ticked: every label)", locked, `${id}-applies`),
      labelChoices(attribute, "required_for", "Required for", locked, `${id}-required`),
      rowButtons(schema.attributes, i, `attribute ${attribute.key}`, locked));
  });
}

function renderTargets() {
  return schema.targets.map((target, i) => {
    const locked = fixed("targets", target.name);
    const id = `target-${i}`;
    return el("fieldset", { className: "schema-row" },
      el("legend", {}, `Target ${i + 1}`),
      input(target, "name", "Name", `${id}-name`, { disabled: locked, required: true }),
      input(target, "description", "Description", `${id}-description`, {}, true),
      rowButtons(schema.targets, i, `target ${target.name}`, locked));
  });
}

/** A question's points as "VALUE: label" lines; a scale's values are read as numbers. @param {string} text @param {string} kind */
function parsePoints(text, kind) {
  return parseValues(text).map(({ value, description }) => ({
    value: kind === "ordinal" || kind === "interval" ? Number(value) : value,
    label: description,
  }));
}

function renderQuestions() {
  const questions = schema.questions || (schema.questions = []);
  return questions.map((question, i) => {
    const locked = fixed("questions", question.key);
    const id = `question-${i}`;
    return el("fieldset", { className: "schema-row" },
      el("legend", {}, `Question ${i + 1}`, locked ? el("span", { className: "hint" }, " (answered: its kind, points and whether it is required stay)") : null),
      input(question, "key", "Key", `${id}-key`, { disabled: locked, required: true }),
      el("div", { className: "field" }, el("label", { htmlFor: `${id}-kind` }, "Kind"),
        el("select", { id: `${id}-kind`, disabled: locked, onchange: (/** @type {Event} */ e) => {
          question.kind = /** @type {any} */ (/** @type {HTMLSelectElement} */ (e.target).value);
          render();
        } }, ...QUESTION_KINDS.map(([value, text]) => el("option", { value, selected: question.kind === value }, text)))),
      input(question, "name", "The question as annotators read it", `${id}-name`, {}, true),
      input(question, "description", "Help", `${id}-description`, {}, true),
      question.kind === "boolean" ? null : el("div", { className: "field wide" },
        el("label", { htmlFor: `${id}-points` }, question.kind === "ordinal" || question.kind === "interval"
          ? "Points from lowest to highest, one per line (NUMBER: anchor)" : "Choices, one per line (VALUE: label)"),
        el("textarea", { id: `${id}-points`, rows: 4, value: question.points.map((p) => (p.label ? `${p.value}: ${p.label}` : String(p.value))).join("\n"),
          oninput: (/** @type {Event} */ e) => {
            question.points = parsePoints(/** @type {HTMLTextAreaElement} */ (e.target).value, question.kind);
            renderPreview();
          } })),
      el("label", { className: "check" }, el("input", { type: "checkbox", id: `${id}-required`, disabled: locked, checked: question.required,
        onchange: (/** @type {Event} */ e) => { question.required = /** @type {HTMLInputElement} */ (e.target).checked; renderPreview(); } }),
        " Required before submitting"),
      rowButtons(questions, i, `question ${question.key}`, locked));
  });
}

function render() {
  $("schema-questions").replaceChildren(...renderQuestions());
  $("schema-labels").replaceChildren(...renderLabels());
  $("schema-attributes").replaceChildren(...renderAttributes());
  $("schema-targets").replaceChildren(...renderTargets());
  renderPreview();
}

/** The annotation page's toolbar and span panel for the chosen label, with a sample span. */
function renderPreview() {
  if (!schema.labels.some((l) => l.key === previewLabel)) previewLabel = schema.labels[0]?.key || "";
  $("preview-labels").replaceChildren(
    ...schema.labels.map((label) => {
      const button = labelButton({ ...label, name: label.name || label.key }, { disabled: false, onClick: () => {
        previewLabel = label.key;
        renderPreview();
      } });
      button.setAttribute("aria-pressed", String(label.key === previewLabel));
      return button;
    }),
  );
  const label = schema.labels.find((l) => l.key === previewLabel);
  const sample = $("preview-span");
  sample.style.setProperty("--label", label?.color || "#888888");
  sample.dataset.label = label ? label.name || label.key : "";
  const controls = label
    ? attributesFor(schema, label.key).map((attribute) =>
        attributeControl(attribute, {
          value: attribute.kind === "target" && schema.targets[0] ? [{ target: schema.targets[0].name, stance: attribute.values[0]?.value ?? "" }] : null,
          label: label.key,
          targets: schema.targets,
          disabled: false,
          idPrefix: "preview",
          onChange: () => {},
        }))
    : [];
  const questions = (schema.questions || []).filter((q) => q.kind === "boolean" || q.points.length >= 2);
  $("preview-questions").hidden = !questions.length;
  $("preview-questions-list").replaceChildren(
    ...questions.map((question) => questionControl(question, { value: null, disabled: false, idPrefix: "preview-q", onChange: () => {} })),
  );
  $("preview-panel").replaceChildren(
    el("h3", {}, label ? `A ${label.name || label.key} span` : "No labels yet"),
    ...(controls.length ? controls : [el("p", { className: "hint" }, "This label takes no attributes.")]),
  );
}

function errorList(/** @type {unknown} */ error) {
  const box = $("schema-errors");
  if (!(error instanceof ApiError) || !error.body || typeof error.body !== "object") {
    box.replaceChildren(el("p", {}, `Not saved: ${error instanceof Error ? error.message : error}`));
  } else {
    box.replaceChildren(el("p", {}, "Not saved. The server says:"),
      el("ul", {}, ...Object.entries(error.body).map(([field, messages]) =>
        el("li", {}, el("code", {}, field), ` ${[].concat(messages).join(" ")}`))));
  }
  box.hidden = false;
  box.focus();
}

/** The schema as the API takes it (the same shape GET gives and a downloaded file holds). */
function payload() {
  return { labels: schema.labels, attributes: schema.attributes, targets: schema.targets, questions: schema.questions || [] };
}

$("schema-form").addEventListener("submit", async (/** @type {SubmitEvent} */ event) => {
  event.preventDefault();
  const status = $("schema-status");
  status.textContent = "Saving…";
  $("schema-errors").hidden = true;
  try {
    const { data } = await api.put(url, payload());
    schema = data;
    saved = snapshot(schema);
    status.textContent = "Saved.";
    render();
  } catch (error) {
    status.textContent = "";
    errorList(error);
  }
});

$("add-label").addEventListener("click", () => {
  schema.labels.push({ key: "", name: "", color: "#888888", shortcut: "", description: "" });
  render();
  $(`label-${schema.labels.length - 1}-key`).focus();
});
$("add-attribute").addEventListener("click", () => {
  schema.attributes.push({ key: "", name: "", kind: "choice", description: "", values: [], applies_to: [], required_for: [] });
  render();
  $(`attribute-${schema.attributes.length - 1}-key`).focus();
});
$("add-question").addEventListener("click", () => {
  (schema.questions || (schema.questions = [])).push({ key: "", name: "", kind: "ordinal", description: "", points: [], required: false });
  render();
  $(`question-${schema.questions.length - 1}-key`).focus();
});
$("add-target").addEventListener("click", () => {
  schema.targets.push({ name: "", description: "" });
  render();
  $(`target-${schema.targets.length - 1}-name`).focus();
});

$("schema-download").addEventListener("click", () => {
  const blob = new Blob([JSON.stringify(payload(), null, 2)], { type: "application/json" });
  const link = el("a", { href: URL.createObjectURL(blob), download: `${root.dataset.slug}-schema.json` });
  link.click();
  URL.revokeObjectURL(link.href);
});

$("schema-file").addEventListener("change", async (/** @type {Event} */ event) => {
  const file = /** @type {HTMLInputElement} */ (event.target).files?.[0];
  if (!file) return;
  const status = $("schema-status");
  try {
    const loaded = JSON.parse(await file.text());
    if (!Array.isArray(loaded.labels)) throw new Error("the file has no list of labels");
    /** @type {(rows: any[], fields: string[]) => any[]} */
    const keep = (rows, fields) =>
      rows.map((row) => Object.fromEntries(fields.map((f) => [f, row[f] ?? EMPTY[f] ?? ""])));
    schema = {
      ...schema,
      labels: keep(loaded.labels, ["key", "name", "color", "shortcut", "description"]),
      attributes: keep(loaded.attributes || [], ["key", "name", "kind", "description", "values", "applies_to", "required_for"]),
      targets: Array.isArray(loaded.targets) ? keep(loaded.targets, ["name", "description"]) : schema.targets,
      questions: Array.isArray(loaded.questions) ? keep(loaded.questions, ["key", "name", "kind", "description", "points", "required"]) : schema.questions,
    };
    status.textContent = `Loaded ${file.name}: check it, then save.`;
    render();
  } catch (error) {
    status.textContent = `${file.name} is not a schema file: ${error.message}`;
  }
});

render();
document.body.dataset.ready = "true";
