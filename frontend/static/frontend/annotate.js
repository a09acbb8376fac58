// @ts-check
// The annotation page: select text, label it, edit its attributes, save at once, submit.
// State lives here as plain objects; highlights.js draws it, outbox.js saves it, offsets.js is
// the only place that converts between DOM (UTF-16) positions and code points.

import { api, ApiError } from "./lib/api.js";
import { attributeControl } from "./lib/attribute-controls.js";
import { $, el, flash, pluralize } from "./lib/dom.js";
import { HighlightLayer } from "./lib/highlights.js";
import { labelButton } from "./lib/label-buttons.js";
import { questionControl } from "./lib/question-controls.js";
import { OffsetIndex, moveBoundary, quoted, selectionToCodePoints, snapToWords, snippet } from "./lib/offsets.js";
import { Outbox } from "./lib/outbox.js";
import { attributeSummary, attributesFor, labelOf, missingRequired } from "./lib/schema.js";
import { fillUrl } from "./lib/urls.js";

const config = JSON.parse(document.getElementById("annotate-config").textContent);
const textBox = $("doc-text");

/**
 * A span as the page holds it. `key` is its client_uuid, stable while the page lives; `id`
 * and `version` are the server's, known once a save has answered; `refused` is the server's
 * reason when it refused to make the span; `model_version` the suggestion model whose
 * suggestion it was.
 * @typedef {{key: string, id: number|null, version: number, label: string, start: number,
 *   end: number, text: string, attributes: Record<string, any>, refused?: string,
 *   model_version?: number|null}} Span
 */

const state = {
  layer: null,
  schema: null,
  index: null,
  /** @type {Map<string, Span>} */
  spans: new Map(),
  selected: null,
  readOnly: config.readOnly,
  undo: [],
  redo: [],
  /** The layer's answers to the article questions, by question key. @type {Map<string, {value: any, version: number}>} */
  answers: new Map(),
  /** Answer saves under way: submit waits for them. @type {Set<Promise<void>>} */
  answering: new Set(),
  /** What the server suggests marking, in text order, and the one Enter and Delete act on. */
  suggestions: /** @type {any[]} */ ([]),
  currentSuggestion: /** @type {string|null} */ (null),
};
let highlights;
let outbox;

// ---------------------------------------------------------------------------------------------
// Loading

async function load() {
  const [{ data: served }, { data: schema }, { data: answers }] = await Promise.all([
    api.get(config.urls.assignment),
    api.get(config.urls.schema),
    api.get(config.urls.answers),
  ]);
  state.layer = served;
  state.schema = schema;
  for (const a of answers) state.answers.set(a.question, { value: a.value, version: a.version });
  state.index = new OffsetIndex(served.document.text);
  state.readOnly = config.readOnly || served.status === "submitted" || served.status === "skipped";
  for (const s of served.spans) state.spans.set(s.client_uuid, fromServer(s));

  outbox = new Outbox({
    storageKey: `annotate:${config.layerId}:outbox`,
    send,
    onRejected,
    onState: showSaveState,
  });
  // Changes saved while offline before the last reload: show them, then keep sending.
  for (const op of outbox.queue) applyLocally(op);

  const labels = Object.fromEntries(schema.labels.map((l) => [l.key, l]));
  highlights = new HighlightLayer(
    textBox,
    state.index,
    (key) => ({ color: labels[key]?.color || "#888", name: labels[key]?.name || key, badge: key[0] }),
    describe,
  );
  const started = performance.now();
  highlights.renderAll(sortedSpans());
  textBox.dataset.renderMs = String(Math.round(performance.now() - started));
  renderToolbar();
  renderSpanList();
  renderPanel();
  renderQuestions();
  renderStatus();
  outbox.flush();
  document.body.dataset.ready = "true";
  loadSuggestions();
}

// ---------------------------------------------------------------------------------------------
// Article questions: answered beside the text, each saved as it changes with the version read

function renderQuestions() {
  const box = $("questions");
  const questions = state.schema.questions || [];
  box.hidden = !questions.length;
  // Drawn again after each save: the control that had the focus gets it back.
  const focused = box.contains(document.activeElement) ? document.activeElement.id : null;
  $("questions-list").replaceChildren(
    ...questions.map((question) =>
      questionControl(question, {
        value: state.answers.get(question.key)?.value,
        disabled: state.readOnly,
        idPrefix: "q",
        onChange: (value) => {
          const saving = saveAnswer(question, value);
          state.answering.add(saving);
          saving.finally(() => state.answering.delete(saving));
        },
      }),
    ),
  );
  if (focused) $(focused)?.focus();
}

async function saveAnswer(question, value) {
  const url = fillUrl(config.urls.answer, { key: question.key });
  const known = state.answers.get(question.key);
  const status = $("questions-status");
  status.textContent = "Saving the answer…";
  try {
    if (value === null) {
      if (known) await api.del(`${url}?version=${known.version}`);
      state.answers.delete(question.key);
    } else {
      const { data } = await api.put(url, { value, version: known ? known.version : null });
      state.answers.set(question.key, { value: data.value, version: data.version });
    }
    status.textContent = "Answers saved.";
  } catch (error) {
    if (error instanceof ApiError && error.status === 409 && error.body?.current) {
      state.answers.set(question.key, { value: error.body.current.value, version: error.body.current.version });
      status.textContent = `${question.name}: changed in another tab; the page shows that answer now.`;
    } else {
      status.textContent = `${question.name}: not saved. ${error.message}`;
    }
  }
  renderQuestions();
}

function fromServer(s) {
  return {
    key: s.client_uuid,
    id: s.id,
    version: s.version,
    label: s.label,
    start: s.start,
    end: s.end,
    text: s.text,
    attributes: s.attributes || {},
    model_version: s.model_version ?? null,
  };
}

function sortedSpans() {
  return [...state.spans.values()].sort((a, b) => a.start - b.start || a.end - b.end || (a.key < b.key ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// Saving: each local change becomes an operation in the outbox

async function send(op) {
  const span = state.spans.get(op.key);
  if (op.kind === "create") {
    const { data } = await api.post(config.urls.spans, {
      client_uuid: op.key,
      ...op.body,
    });
    if (span) Object.assign(span, { id: data.id, version: data.version });
    else pendingServerIds.set(op.key, { id: data.id, version: data.version });
    return;
  }
  const known = span || pendingServerIds.get(op.key);
  if (!known || !known.id) return; // its create was refused: nothing to change on the server
  try {
    if (op.kind === "update") {
      const { data } = await api.patch(fillUrl(config.urls.span, { id: known.id }), { version: known.version, ...op.changes });
      known.version = data.version;
    } else {
      await api.del(`${fillUrl(config.urls.span, { id: known.id })}?version=${known.version}`);
      pendingServerIds.delete(op.key);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && op.kind === "delete") return; // already gone
    throw error;
  }
}

/** Server ids of spans removed locally whose delete is still queued. */
const pendingServerIds = new Map();

async function onRejected(op, error) {
  if (error.status === 409 && error.body?.current) {
    // Changed elsewhere (another tab): take the server's version of the span.
    const current = fromServer(error.body.current);
    replaceSpan(op.key, current);
    flash(`This span was changed elsewhere; showing the saved version.`);
    return;
  }
  flash(`Not saved: ${error.message}`, true);
  const span = state.spans.get(op.key);
  if (!span) return;
  if (op.kind === "create") {
    // Kept and marked with the server's reason: changing it tries again, deleting it drops it.
    span.refused = error.message;
    highlights.update(sortedSpans(), span.start, span.end);
    updateSpanListItem(op.key);
    if (state.selected === op.key) renderPanel();
  } else if (span.id) {
    // A refused change: show the span as it is saved.
    try {
      const { data } = await api.get(fillUrl(config.urls.span, { id: span.id }));
      replaceSpan(op.key, fromServer(data));
    } catch {
      // The saved version cannot be fetched now; the message above still stands.
    }
  }
}

function showSaveState(saveState, pending, reason = "") {
  const badge = $("save-state");
  badge.dataset.state = saveState;
  const changes = pluralize(pending, "change");
  badge.textContent = {
    saved: "All changes saved",
    saving: `Saving ${changes}…`,
    offline: `Not saved yet: ${changes} waiting, retrying (${reason})`,
    stopped: `Saving has stopped: ${changes} not saved (${reason}). They are kept in this browser.`,
  }[saveState];
  $("save-retry").hidden = saveState !== "stopped";
}

$("save-retry").addEventListener("click", () => outbox.retry());


window.addEventListener("beforeunload", (event) => {
  if (outbox && outbox.pending) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// ---------------------------------------------------------------------------------------------
// Changes (each one drawn at once, saved through the outbox, and recorded for undo)

function applyLocally(op) {
  if (op.kind === "create") state.spans.set(op.key, { key: op.key, id: null, version: 0, ...op.body });
  else if (op.kind === "update" && state.spans.has(op.key)) Object.assign(state.spans.get(op.key), op.changes);
  else if (op.kind === "delete") state.spans.delete(op.key);
}

function perform(op, { record = true } = {}) {
  if (state.readOnly) return;
  const before = state.spans.get(op.key);
  const touched = before ? [before.start, before.end] : [];
  if (op.kind === "delete" && before) pendingServerIds.set(op.key, { id: before.id, version: before.version });
  const inverse = inverseOf(op, before);
  applyLocally(op);
  const after = state.spans.get(op.key);
  if (after) touched.push(after.start, after.end);
  highlights.update(sortedSpans(), Math.min(...touched), Math.max(...touched));
  if (op.kind === "update" && before?.refused && !before.id) {
    // The server refused this span when it was made: the changed span is a new try.
    delete after.refused;
    const { label, start, end, text, attributes, model_version } = after;
    outbox.push({ kind: "create", key: op.key, body: { label, start, end, text, attributes, model_version } });
  } else outbox.push(op);
  if (record) {
    state.undo.push({ op, inverse });
    state.redo = [];
  }
  if (op.kind === "delete" && state.selected === op.key) state.selected = null;
  if (op.kind === "create") state.selected = op.key;
  highlights.select(state.spans.get(state.selected) || null);
  updateSpanListItem(op.key);
  markCurrentInList();
  renderPanel();
  renderStatus();
  // After the next paint: lets anyone measure how long a change takes to show.
  requestAnimationFrame(() => setTimeout(() => performance.mark("annotate:drawn")));
}

function inverseOf(op, before) {
  if (op.kind === "create") return { kind: "delete", key: op.key };
  if (op.kind === "delete") {
    const { label, start, end, text, attributes, model_version } = before;
    return { kind: "create", key: op.key, body: { label, start, end, text, attributes, model_version } };
  }
  const previous = Object.fromEntries(Object.keys(op.changes).map((k) => [k, before[k]]));
  return { kind: "update", key: op.key, changes: previous };
}

function undo() {
  const entry = state.undo.pop();
  if (!entry) return;
  perform(entry.inverse, { record: false });
  state.redo.push(entry);
  renderStatus();
}

function redo() {
  const entry = state.redo.pop();
  if (!entry) return;
  perform(entry.op, { record: false });
  state.undo.push(entry);
  renderStatus();
}

function replaceSpan(key, span) {
  const before = state.spans.get(key);
  state.spans.set(key, span);
  highlights.update(sortedSpans(), Math.min(span.start, before?.start ?? span.start), Math.max(span.end, before?.end ?? span.end));
  updateSpanListItem(key);
  renderPanel();
}

function createSpan(label, range, exact) {
  let { start, end } = range;
  if (!exact) {
    const snapped = snapToWords(state.index.text, start, end);
    if (!snapped) return;
    ({ start, end } = snapped);
  }
  const text = state.index.slice(start, end);
  const key = crypto.randomUUID();
  perform({ kind: "create", key, body: { label, start, end, text, attributes: {} } });
  window.getSelection().removeAllRanges();
}

function updateSelected(changes) {
  const span = state.spans.get(state.selected);
  if (!span) return;
  perform({ kind: "update", key: span.key, changes });
}

// ---------------------------------------------------------------------------------------------
// Selecting text and spans

function currentTextRange() {
  const selection = window.getSelection();
  if (!selection.rangeCount) return null;
  return selectionToCodePoints(textBox, selection.getRangeAt(0), state.index);
}

function selectSpan(key, { scroll = false } = {}) {
  state.selected = key;
  if (key && state.currentSuggestion) showSuggestion(null);
  const span = state.spans.get(key) || null;
  highlights.select(span);
  renderPanel();
  markCurrentInList();
  if (span && scroll) highlights.nodeAt(span.start).scrollIntoView({ block: "center", behavior: "smooth" });
}

textBox.addEventListener("click", (event) => {
  hideChooser();
  if (!window.getSelection().isCollapsed) return;
  const segment = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (event.target).closest(".seg"));
  const keys = segment?.dataset.spans?.split(" ") || [];
  if (!keys.length && segment?.dataset.suggestion) {
    selectSpan(null);
    return showSuggestion(segment.dataset.suggestion);
  }
  if (!keys.length) return selectSpan(null);
  if (keys.length === 1) return selectSpan(keys[0]);
  // Several spans here: offer them, innermost first.
  showChooser(keys.slice().reverse(), event.pageX, event.pageY);
});

// Hovering a highlight shows the whole extent of its innermost span.
textBox.addEventListener("mouseover", (event) => {
  const segment = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (event.target).closest(".seg"));
  const keys = segment?.dataset.spans?.split(" ") || [];
  highlights.hover(keys.length ? keys[keys.length - 1] : null);
});
textBox.addEventListener("mouseleave", () => highlights.hover(null));

/** The list of the spans at one place, to pick one from. */
function showChooser(keys, x, y) {
  const chooser = $("span-chooser");
  chooser.replaceChildren(
    ...keys.map((key) => {
      const span = state.spans.get(key);
      const color = labelOf(state.schema, span.label)?.color || "#888";
      return el("button", { type: "button", role: "menuitem", onclick: () => { hideChooser(); selectSpan(key); },
        onmouseenter: () => highlights.hover(key), onfocus: () => highlights.hover(key) },
        el("span", { className: "label-tag", style: `--label:${color}` }, span.label), " ", quoted(span.text, 50));
    }),
  );
  chooser.style.left = `${x}px`;
  chooser.style.top = `${y + 12}px`;
  chooser.hidden = false;
  chooser.querySelector("button").focus();
}

function hideChooser() {
  $("span-chooser").hidden = true;
  highlights?.hover(null);
}

// The text is contenteditable only so that the keyboard can move a caret and select with
// Shift+arrows; every edit is refused, and the text is redrawn should one slip through.
textBox.addEventListener("beforeinput", (event) => event.preventDefault());
textBox.addEventListener("paste", (event) => event.preventDefault());
textBox.addEventListener("drop", (event) => event.preventDefault());
textBox.addEventListener("input", () => highlights.renderAll(sortedSpans()));

// ---------------------------------------------------------------------------------------------
// Keyboard

function inFormControl(target) {
  return target.closest("input, select, textarea, button, dialog") !== null;
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("guidelines").hidden) return showGuidelines(false);
  if (event.key === "Escape" && !$("span-chooser").hidden) return hideChooser();
  const ctrl = event.ctrlKey || event.metaKey;
  if (ctrl && event.key.toLowerCase() === "z" && !inFormControl(event.target)) {
    event.preventDefault();
    return event.shiftKey ? redo() : undo();
  }
  if (ctrl && event.key.toLowerCase() === "y" && !inFormControl(event.target)) {
    event.preventDefault();
    return redo();
  }
  if (ctrl || inFormControl(event.target) || !state.schema) return;
  const label = state.schema.labels.find((l) => l.shortcut && l.shortcut === event.key.replace("Digit", ""));
  const shortcut = label || state.schema.labels.find((l) => l.shortcut && event.code === `Digit${l.shortcut}`);
  if (shortcut) {
    event.preventDefault();
    const range = currentTextRange();
    if (range && !state.readOnly) createSpan(shortcut.key, range, event.altKey);
    else if (state.selected && !state.readOnly) changeLabel(shortcut.key);
    return;
  }
  if (state.currentSuggestion && !state.selected && !state.readOnly) {
    if (event.key === "Enter") {
      event.preventDefault();
      return acceptSuggestion(state.currentSuggestion);
    }
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      return rejectSuggestion(state.currentSuggestion);
    }
  }
  if (event.key === "}" || event.key === "{") {
    event.preventDefault();
    return stepSuggestion(event.key === "}" ? 1 : -1);
  }
  if (event.key === "Escape") return selectSpan(null);
  if ((event.key === "Delete" || event.key === "Backspace") && state.selected && !state.readOnly) {
    event.preventDefault();
    return perform({ kind: "delete", key: state.selected });
  }
  if (event.key === "]" || event.key === "[") {
    event.preventDefault();
    const spans = sortedSpans();
    const at = spans.findIndex((s) => s.key === state.selected);
    const next = event.key === "]" ? at + 1 : (at < 0 ? spans.length : at) - 1;
    if (spans[next]) selectSpan(spans[next].key, { scroll: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Rendering of the toolbar, the side panel and the span list

function renderToolbar() {
  $("label-buttons").replaceChildren(
    ...state.schema.labels.map((label) =>
      labelButton(label, {
        disabled: state.readOnly,
        onClick: (event) => {
          const range = currentTextRange();
          if (range) createSpan(label.key, range, event.altKey);
          else if (state.selected) changeLabel(label.key);
          else flash("Select some text first, then choose a label.");
        },
      }),
    ),
  );
}

function changeLabel(labelKey) {
  const span = state.spans.get(state.selected);
  if (!span || span.label === labelKey) return;
  const allowed = new Set(attributesFor(state.schema, labelKey).map((a) => a.key));
  const attributes = Object.fromEntries(Object.entries(span.attributes).filter(([k]) => allowed.has(k)));
  updateSelected({ label: labelKey, attributes });
}

function setAttribute(key, value) {
  const span = state.spans.get(state.selected);
  const attributes = { ...span.attributes };
  if (value === undefined || value === null || (Array.isArray(value) && !value.length)) delete attributes[key];
  else attributes[key] = value;
  updateSelected({ attributes });
}

function moveSelectedBoundary(which, direction, byCharacter) {
  const span = state.spans.get(state.selected);
  if (!span) return;
  const { start, end } = moveBoundary(state.index, span, which, direction, byCharacter);
  if (start === span.start && end === span.end) return;
  updateSelected({ start, end, text: state.index.slice(start, end) });
}

function describe(span) {
  const label = labelOf(state.schema, span.label);
  const refused = span.refused ? `not saved: ${span.refused}` : "";
  const suggested = span.model_version ? `suggested by model ${span.model_version}` : "";
  return [label ? label.name : span.label, attributeSummary(span.attributes), suggested, refused].filter(Boolean).join(" · ");
}

// ---------------------------------------------------------------------------------------------
// Suggestions: the boilerplate rule's and the project model's, drawn dashed. Accepted, one
// becomes an ordinary span that records its model version; rejected, it is kept on the server
// as data for the next training. A help only: the page works the same without them.

async function loadSuggestions() {
  if (state.readOnly) return;
  let data;
  try {
    ({ data } = await api.get(config.urls.suggestions));
  } catch {
    return;
  }
  if (!data.enabled) return;
  state.suggestions = data.suggestions.map((s, i) => ({ ...s, key: `suggestion-${i}` }));
  state.currentSuggestion = state.selected ? null : state.suggestions[0]?.key ?? null;
  drawSuggestions();
}

function drawSuggestions() {
  highlights.setSuggestions(state.suggestions, state.currentSuggestion, sortedSpans());
  renderSuggestions();
}

function showSuggestion(key, { scroll = false } = {}) {
  state.currentSuggestion = key;
  drawSuggestions();
  const suggestion = state.suggestions.find((s) => s.key === key);
  if (suggestion && scroll) highlights.nodeAt(suggestion.start).scrollIntoView({ block: "center", behavior: "smooth" });
}

function stepSuggestion(direction) {
  if (!state.suggestions.length) return;
  const at = state.suggestions.findIndex((s) => s.key === state.currentSuggestion);
  const next = at < 0 ? (direction > 0 ? 0 : state.suggestions.length - 1) : at + direction;
  if (!state.suggestions[next]) return;
  selectSpan(null);
  showSuggestion(state.suggestions[next].key, { scroll: true });
}

/** Take a suggestion off the list; the next one (else the one before) becomes current. */
function dropSuggestion(key) {
  const at = state.suggestions.findIndex((s) => s.key === key);
  if (at < 0) return null;
  const [suggestion] = state.suggestions.splice(at, 1);
  if (state.currentSuggestion === key) {
    state.currentSuggestion = (state.suggestions[at] || state.suggestions[at - 1])?.key ?? null;
  }
  return suggestion;
}

function acceptSuggestion(key) {
  const suggestion = dropSuggestion(key);
  if (!suggestion) return;
  // The server hints only attributes of the suggestion's label, with values they allow.
  const attributes = Object.fromEntries(Object.entries(suggestion.attributes || {}).map(([k, hint]) => [k, hint.value]));
  const { label, start, end } = suggestion;
  const body = { label, start, end, text: state.index.slice(start, end), attributes, model_version: suggestion.model_version ?? null };
  const current = state.currentSuggestion;
  perform({ kind: "create", key: crypto.randomUUID(), body });
  // The next suggestion stays current, so Enter and Delete go on down the list.
  selectSpan(null);
  showSuggestion(current);
}

async function rejectSuggestion(key) {
  const suggestion = dropSuggestion(key);
  if (!suggestion) return;
  drawSuggestions();
  const { label, start, end } = suggestion;
  try {
    await api.post(config.urls.suggestionRejections, { label, start, end, model_version: suggestion.model_version ?? null });
  } catch (error) {
    flash(`The rejection was not recorded: ${error.message}`);
  }
}

function renderSuggestions() {
  const panel = $("suggestions");
  panel.hidden = !state.suggestions.length;
  $("suggestion-count").textContent = String(state.suggestions.length);
  $("suggestion-list").replaceChildren(
    ...state.suggestions.map((s) => {
      const color = labelOf(state.schema, s.label)?.color || "#888";
      const source = s.rule === "model" ? `model ${s.model_version}, ${Math.round(s.confidence * 100)}%` : "repeated across the outlet's articles";
      return el(
        "li",
        { className: s.key === state.currentSuggestion ? "current" : "", dataset: { key: s.key } },
        el(
          "button",
          { type: "button", className: "suggestion-show", onclick: () => { selectSpan(null); showSuggestion(s.key, { scroll: true }); } },
          el("span", { className: "label-tag", style: `--label:${color}` }, s.label),
          " ",
          el("span", { className: "span-snippet" }, snippet(s.text, 80)),
          el("span", { className: "hint" }, ` · ${source}`),
          ...Object.entries(s.attributes || {}).map(([key, hint]) =>
            el("span", { className: "hint suggestion-hint" }, ` · ${key}: ${hint.value}${hint.cue ? ` (${hint.cue})` : ""}`),
          ),
        ),
        el("div", { className: "suggestion-actions" },
          el("button", { type: "button", onclick: () => acceptSuggestion(s.key) }, "Accept"),
          el("button", { type: "button", onclick: () => rejectSuggestion(s.key) }, "Reject"),
        ),
      );
    }),
  );
}



function renderPanel() {
  const panel = $("span-panel");
  const span = state.spans.get(state.selected);
  if (!span) {
    panel.replaceChildren(
      el("p", { className: "hint" }, "Select text and press a label's key (or button) to add a span. Click a highlight to edit it."),
    );
    return;
  }
  const disabled = state.readOnly;
  const labelSelect = el(
    "select",
    { id: "span-label", disabled, onchange: (e) => changeLabel(e.target.value) },
    ...state.schema.labels.map((l) => el("option", { value: l.key, selected: l.key === span.label, title: l.description }, l.name)),
  );
  const controls = attributesFor(state.schema, span.label).map((attribute) =>
    attributeControl(attribute, {
      value: span.attributes[attribute.key],
      label: span.label,
      targets: state.schema.targets,
      disabled,
      idPrefix: "attr",
      onChange: (value) => setAttribute(attribute.key, value),
    }),
  );
  const boundary = (which, direction, text) =>
    el("button", { type: "button", disabled, title: "By word; hold Alt for one character", onclick: (e) => moveSelectedBoundary(which, direction, e.altKey) }, text);
  panel.replaceChildren(
    el("h2", {}, "Selected span"),
    el("blockquote", { className: "span-text" }, span.text),
    el("label", { htmlFor: "span-label" }, "Label"),
    labelSelect,
    ...controls,
    el(
      "div",
      { className: "boundaries", role: "group", "aria-label": "Adjust boundaries" },
      boundary("start", -1, "◀ Start"),
      boundary("start", 1, "Start ▶"),
      boundary("end", -1, "◀ End"),
      boundary("end", 1, "End ▶"),
    ),
    el("button", { type: "button", className: "danger", id: "delete-span", disabled, onclick: () => perform({ kind: "delete", key: span.key }) }, "Delete span"),
  );
}


/** The span list, kept in step one item at a time: rebuilding 1,000 items per change is slow. */
const listItems = new Map();

function spanListItem(span) {
  const missing = missingRequired(state.schema, span);
  const color = labelOf(state.schema, span.label)?.color || "#888";
  return el(
    "li",
    { className: span.key === state.selected ? "current" : "", dataset: { key: span.key } },
    el(
      "button",
      { type: "button", onclick: () => selectSpan(span.key, { scroll: true }) },
      el("span", { className: "label-tag", style: `--label:${color}` }, span.label),
      " ",
      el("span", { className: "span-snippet" }, snippet(span.text, 80)),
      missing.length ? el("span", { className: "missing" }, ` ⚠ needs ${missing.join(", ")}`) : null,
      span.refused ? el("span", { className: "refused" }, ` ✗ Not saved: ${span.refused}`) : null,
    ),
  );
}

function renderSpanList() {
  listItems.clear();
  const items = sortedSpans().map((span) => {
    const item = spanListItem(span);
    listItems.set(span.key, item);
    return item;
  });
  $("span-list").replaceChildren(...items);
  $("span-count").textContent = String(items.length);
}

/** Redraw the list item of one span (added, changed or removed). */
function updateSpanListItem(key) {
  listItems.get(key)?.remove();
  listItems.delete(key);
  const span = state.spans.get(key);
  if (span) {
    const item = spanListItem(span);
    const spans = sortedSpans();
    const next = spans[spans.findIndex((s) => s.key === key) + 1];
    $("span-list").insertBefore(item, next ? listItems.get(next.key) || null : null);
    listItems.set(key, item);
  }
  $("span-count").textContent = String(state.spans.size);
}

function markCurrentInList() {
  for (const item of $("span-list").querySelectorAll("li.current")) item.classList.remove("current");
  listItems.get(state.selected)?.classList.add("current");
}

function renderStatus() {
  $("undo").disabled = state.readOnly || !state.undo.length;
  $("redo").disabled = state.readOnly || !state.redo.length;
  const status = state.layer.status;
  $("layer-status").textContent = state.readOnly && !config.readOnly ? `Layer ${status}: read-only` : "";
  $("submit").hidden = state.readOnly;
  $("skip").hidden = state.readOnly;
  $("next").hidden = !(state.readOnly && !config.readOnly);
  $("withdraw").hidden = !(config.withdrawable && state.layer.status === "submitted");
  const editable = state.readOnly ? "false" : "true";
  // Touching contenteditable on a long text is costly: only when it changes.
  if (textBox.getAttribute("contenteditable") !== editable) textBox.setAttribute("contenteditable", editable);
}


// ---------------------------------------------------------------------------------------------
// Submit, skip, next

$("undo").addEventListener("click", undo);
$("redo").addEventListener("click", redo);

$("submit").addEventListener("click", () => {
  $("submit-summary").textContent =
    `You have marked ${pluralize(state.spans.size, "span")}. Once submitted, this layer is locked: ` +
    "you can no longer add, change or remove its spans, and it goes to agreement and review.";
  $("submit-dialog").showModal();
});
$("submit-cancel").addEventListener("click", () => $("submit-dialog").close());
$("submit-form").addEventListener("submit", async () => {
  flash("Saving and submitting…");
  await outbox.idle();
  await Promise.allSettled([...state.answering]);
  const box = $("incomplete");
  try {
    const { data } = await api.post(config.urls.submit);
    state.layer.status = data.status;
    state.readOnly = true;
    box.hidden = true;
    flash("Submitted. Thank you!");
    renderToolbar();
    renderPanel();
    renderQuestions();
    renderStatus();
    $("next").focus();
  } catch (error) {
    if (!(error instanceof ApiError) || !error.body?.incomplete) return flash(error.message, true);
    flash(error.body.detail, true);
    const byId = new Map([...state.spans.values()].map((s) => [s.id, s]));
    box.hidden = false;
    box.querySelector("ul").replaceChildren(
      ...(error.body.unanswered || []).map((item) =>
        el("li", {}, el("button", { type: "button", onclick: () => /** @type {HTMLInputElement|null} */ (document.querySelector(`[data-question="${CSS.escape(item.key)}"] input`))?.focus() },
          `Answer “${item.name}”`)),
      ),
      ...error.body.incomplete.map((item) =>
        el("li", {}, el("button", { type: "button", onclick: () => byId.get(item.id) && selectSpan(byId.get(item.id).key, { scroll: true }) },
          `${item.label} ${quoted(item.text, 60)} needs ${item.missing.join(", ")}`)),
      ),
    );
    box.querySelector("button")?.focus();
  }
});

$("next").addEventListener("click", () => goNext());
$("withdraw").addEventListener("click", async () => {
  try {
    await api.post(config.urls.reopen, {});
    window.location.reload();
  } catch (error) {
    flash(error.message, true);
  }
});

async function goNext() {
  const { status, data } = await api.post(config.urls.next);
  if (status === 204) {
    flash("Nothing left to annotate in this project. Thank you!");
    return;
  }
  window.location.assign(fillUrl(config.urls.annotate, { id: data.id }));
}

$("skip").addEventListener("click", () => $("skip-dialog").showModal());
$("skip-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const reason = $("skip-reason").value.trim();
  if (!reason) return;
  await outbox.idle();
  try {
    await api.post(config.urls.skip, { reason });
    $("skip-dialog").close();
    await goNext();
  } catch (error) {
    flash(error.message, true);
  }
});
$("skip-cancel").addEventListener("click", () => $("skip-dialog").close());

/** Open or close the guidelines drawer; closing gives the focus back to its button. */
function showGuidelines(open) {
  $("guidelines").hidden = !open;
  $("guidelines-toggle").setAttribute("aria-expanded", String(open));
  (open ? $("guidelines-close") : $("guidelines-toggle")).focus();
}

$("guidelines-toggle").addEventListener("click", () => showGuidelines($("guidelines").hidden));
$("guidelines-close").addEventListener("click", () => showGuidelines(false));

load().catch((error) => flash(`Could not load the document: ${error.message}`, true));
