// @ts-check
// The review page: each annotator's layer side by side (a table of aligned span groups, one
// column per annotator), the gold layer drawn on the text, and the actions that adjudicate it.
// Every action is one POST to /documents/{id}/decisions/; its answer is the whole review state,
// which is drawn again. highlights.js draws the gold spans, offsets.js converts selections.

import { api, ApiError } from "./lib/api.js";
import { attributeControl } from "./lib/attribute-controls.js";
import { $, el, flash, formatTime, pluralize } from "./lib/dom.js";
import { HighlightLayer } from "./lib/highlights.js";
import { OffsetIndex, moveBoundary, quoted, selectionToCodePoints, snapToWords, snippet } from "./lib/offsets.js";
import { answerText, questionControl } from "./lib/question-controls.js";
import { answered, attributeSummary, attributesFor, labelOf as schemaLabel } from "./lib/schema.js";

const config = JSON.parse(document.getElementById("review-config").textContent);
const textBox = $("doc-text");

const state = {
  review: null,
  schema: null,
  index: null,
  layer: null,
  /** annotator span id -> {span, layer} */
  spans: new Map(),
  /** gold span id -> span */
  gold: new Map(),
  row: 0,
  col: 0,
  selected: null, // gold span id open in the panel
  draft: null, // its edited copy {label, start, end, text, attributes}
  busy: false,
  reopenTarget: null,
};

// ---------------------------------------------------------------------------------------------
// Small helpers



const labelOf = (key) => schemaLabel(state.schema, key);
const colorOf = (key) => labelOf(key)?.color || "#888";
const sameJson = (a, b) => canonical(a) === canonical(b);

/** JSON with sorted keys and lists in a fixed order, as the server compares attributes. */
function canonical(value) {
  const walk = (v) => {
    if (Array.isArray(v)) return v.map(walk).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
    if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, walk(v[k])]));
    return v;
  };
  return JSON.stringify(walk(answered(value || {})));
}




function labelTag(key) {
  return el("span", { className: "label-tag", style: `--label:${colorOf(key)}` }, key);
}


// ---------------------------------------------------------------------------------------------
// Loading and talking to the server

async function load() {
  const [{ data: review }, { data: schema }] = await Promise.all([
    api.get(config.urls.review),
    api.get(config.urls.schema),
  ]);
  state.schema = schema;
  state.index = new OffsetIndex(review.document.text);
  state.layer = new HighlightLayer(
    textBox,
    state.index,
    (key) => ({ color: colorOf(key), name: labelOf(key)?.name || key, badge: key[0] }),
    (span) => [labelOf(span.label)?.name || span.label, attributeSummary(state.gold.get(Number(span.key))?.attributes)].filter(Boolean).join(" · "),
  );
  renderToolbar();
  apply(review);
  document.body.dataset.ready = "true";
}

async function reload() {
  const { data } = await api.get(config.urls.review);
  apply(data);
}

/** The article questions side by side: each annotator's answer, and the gold answer to choose. */
function renderQuestions() {
  const questions = state.schema.questions || [];
  const { review } = state;
  $("review-questions").hidden = !questions.length;
  if (!questions.length) return;
  const table = $("questions-table");
  table.tHead.replaceChildren(el("tr", {},
    el("th", { scope: "col" }, "Question"),
    ...review.layers.map((layer) => el("th", { scope: "col" }, layer.username)),
    el("th", { scope: "col" }, "Gold")));
  const gold = review.gold?.answers || {};
  table.tBodies[0].replaceChildren(...questions.map((question) => {
    const given = review.layers.map((layer) => layer.answers?.[question.key]);
    const same = given.every((v) => JSON.stringify(v) === JSON.stringify(given[0])) && given[0] !== undefined;
    return el("tr", { className: same ? "kind-agreed" : "", dataset: { question: question.key } },
      el("th", { scope: "row" }, question.name),
      ...given.map((value) => el("td", {}, answerText(value))),
      el("td", {}, questionControl(question, {
        value: gold[question.key],
        disabled: review.adjudicated,
        idPrefix: "gold-q",
        onChange: (value) => decide({ action: "answer", question: question.key, value }),
      })));
  }));
}

/** Send one action; draw the answer. Returns the answer, or null if it was refused. */
async function decide(body) {
  if (state.busy) return null;
  state.busy = true;
  document.body.dataset.busy = "true";
  try {
    const { data } = await api.post(config.urls.decisions, body);
    apply(data.review);
    flash(describeOutcome(body.action, data.decisions));
    return data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      flash(`${error.message} The page now shows the current state.`, true);
      await reload().catch(() => {});
    } else if (error instanceof ApiError && error.body?.incomplete) {
      const items = [
        ...(error.body.unanswered || []).map((q) => `the gold answer to “${q.name}”`),
        ...error.body.incomplete.map((s) => `${s.label} ${quoted(s.text, 40)} needs ${s.missing.join(", ")}`),
      ];
      flash(`${error.body.detail}\n${items.join("\n")}`, true);
    } else {
      flash(`Not done: ${error.message}`, true);
    }
    return null;
  } finally {
    state.busy = false;
    document.body.dataset.busy = "false";
  }
}

function describeOutcome(action, decisions) {
  const n = decisions.length;
  const words = {
    accept: "Accepted into gold.",
    accept_agreed: n ? `Accepted ${n} agreed span${n === 1 ? "" : "s"} into gold.` : "No agreed span is left outside gold.",
    edit: "Gold span saved.",
    add: "Gold span added.",
    reject: "Rejected.",
    take_attributes: "Attributes taken into the gold span.",
    reopen: "Layer reopened.",
    adjudicate: "Marked adjudicated.",
    answer: "Gold answer saved.",
  };
  return words[action] || "Done.";
}

// ---------------------------------------------------------------------------------------------
// Drawing the state

function apply(review) {
  // Drawing replaces the table and the panel: keep keyboard focus where it was.
  const focusIn = document.activeElement?.closest("#groups, #gold-panel, #gold-list")?.id;
  const focusId = document.activeElement?.id;
  state.review = review;
  state.spans = new Map();
  for (const layer of review.layers) for (const span of layer.spans) state.spans.set(span.id, { span, layer });
  state.gold = new Map((review.gold?.spans || []).map((s) => [s.id, s]));
  if (state.selected !== null) {
    const current = state.gold.get(state.selected);
    if (!current) closePanel();
    else if (!state.draft || state.draft.version !== current.version) state.draft = draftOf(current);
  }
  state.row = Math.min(state.row, Math.max(0, review.groups.length - 1));
  state.col = Math.min(state.col, Math.max(0, review.layers.length - 1));
  renderStatus();
  state.layer.renderAll(review.gold ? review.gold.spans.map((s) => ({ ...s, key: String(s.id) })) : []);
  state.layer.select(state.selected !== null ? { key: String(state.selected) } : null);
  renderGroups();
  renderQuestions();
  renderGoldList();
  renderPanel();
  renderDecisions();
  if (focusIn === "groups") setCurrent(state.row, state.col);
  else if (focusIn === "gold-panel") {
    const again = focusId && $(focusId);
    (again && !again.disabled ? again : $("gold-label") || $("gold-panel")).focus();
  }
  else if (focusIn === "gold-list") ($("gold-list").querySelector("li.current button") || $("gold-list").querySelector("button"))?.focus();
}

/**
 * "Since sent back on 2026-12-04 15:30: 1 span added, 2 changed", or that nothing changed.
 * @param {{returned_at: string, added: number[], removed: number[], changed: number[]}} since
 */
function sinceReturn(since) {
  const parts = [
    since.added.length && pluralize(since.added.length, "span") + " added",
    since.removed.length && pluralize(since.removed.length, "span") + " removed",
    since.changed.length && pluralize(since.changed.length, "span") + " changed",
  ].filter(Boolean);
  return `Since sent back on ${formatTime(since.returned_at)}: ${parts.length ? parts.join(", ") : "nothing changed"}.`;
}

function renderStatus() {
  const { review } = state;
  const adjudicated = review.adjudicated;
  $("review-status").textContent = adjudicated ? "Adjudicated" : review.gold ? "Adjudication under way" : "Not adjudicated yet";
  $("review-status").dataset.adjudicated = String(adjudicated);
  $("review-score").textContent =
    review.disagreement === null ? "no disagreement score yet" : `disagreement ${review.disagreement.toFixed(3)}`;
  $("adjudicate").hidden = adjudicated;
  $("reopen-gold").hidden = !adjudicated;
  // Only an adjudicated document has a known answer to check annotators against.
  $("calibration-mark").hidden = !(config.canMarkCalibration && (adjudicated || $("calibration").checked));
  $("accept-agreed").disabled = adjudicated;
  for (const button of $("label-buttons").querySelectorAll("button")) button.disabled = adjudicated;
  textBox.setAttribute("contenteditable", adjudicated ? "false" : "true");
}

function renderToolbar() {
  $("label-buttons").replaceChildren(
    ...state.schema.labels.map((label) => {
      const button = el(
        "button",
        {
          type: "button",
          className: "label-button",
          title: `Add a gold ${label.name} span from the selected text (${label.shortcut})`,
          "aria-keyshortcuts": label.shortcut,
          onmousedown: (event) => event.preventDefault(), // keep the text selection
          onclick: (event) => labelKey(label.key, event.altKey),
        },
        el("span", { className: "swatch", "aria-hidden": "true" }),
        el("span", {}, label.name),
        " ",
        el("kbd", {}, label.shortcut),
      );
      button.style.setProperty("--label", label.color);
      return button;
    }),
  );
}

/** The annotator span of `layerId` in group `group`, or undefined. */
function memberOf(group, layerId) {
  for (const id of group.spans) {
    const entry = state.spans.get(id);
    if (entry && entry.layer.id === layerId) return entry.span;
  }
  return undefined;
}

function inGold(span) {
  for (const gold of state.gold.values()) {
    if (gold.start === span.start && gold.end === span.end && gold.label === span.label) return gold;
  }
  return null;
}

function renderGroups() {
  const { review } = state;
  const adjudicated = review.adjudicated;
  const head = el(
    "tr",
    {},
    el("th", { scope: "col", className: "num" }, "#"),
    el("th", { scope: "col" }, "Kind"),
    ...review.layers.map((layer) =>
      el(
        "th",
        { scope: "col", dataset: { layer: layer.id } },
        el("span", { className: "layer-name" }, layer.username),
        " ",
        el("span", { className: "layer-status" }, layer.status.replace("_", " ")),
        layer.status === "submitted"
          ? el("button", { type: "button", className: "small", title: `Reopen ${layer.username}'s layer with a comment (r)`, onclick: () => openReopen(layer) }, "Reopen…")
          : null,
        layer.since_return ? el("div", { className: "since-return" }, sinceReturn(layer.since_return)) : null,
      ),
    ),
    el("th", { scope: "col" }, "Gold"),
  );
  $("groups").tHead.replaceChildren(head);
  const rows = review.groups.map((group, row) => {
    const kinds = group.agreed ? ["agreed"] : group.kinds;
    const goldSpans = group.gold_spans.map((id) => state.gold.get(id)).filter(Boolean);
    return el(
      "tr",
      { dataset: { row, kinds: kinds.join(" ") }, className: `group kind-${kinds[0]}${row === state.row ? " current-row" : ""}` },
      el("td", { className: "num" }, String(row + 1)),
      el("td", {}, ...kinds.map((k) => el("span", { className: "kind-chip", dataset: { kind: k } }, k))),
      ...review.layers.map((layer, col) => cell(group, layer, row, col, goldSpans, adjudicated)),
      el(
        "td",
        { className: "gold-cell" },
        ...(goldSpans.length
          ? goldSpans.map((g) =>
              el("button", { type: "button", className: "gold-ref", title: "Edit this gold span (e)", onclick: () => openGold(g.id, { focus: true }) },
                labelTag(g.label), " ", snippet(g.text, 40)),
            )
          : [el("span", { className: "hint" }, "—")]),
      ),
    );
  });
  if (!rows.length) {
    rows.push(el("tr", {}, el("td", { colSpan: review.layers.length + 3, className: "hint" }, "No annotator marked a span in this document.")));
  }
  $("groups").tBodies[0].replaceChildren(...rows);
}

function cell(group, layer, row, col, goldSpans, adjudicated) {
  const span = memberOf(group, layer.id);
  const current = row === state.row && col === state.col;
  const props = {
    tabIndex: -1,
    className: `member${current ? " current" : ""}`,
    dataset: { row, col, layer: layer.id },
    onfocusin: () => setCurrent(row, col, { focus: false }),
  };
  if (!span) return el("td", { ...props, className: `${props.className} absent` }, el("span", { className: "hint" }, "no span"));
  const copied = inGold(span);
  const attributes = attributeSummary(span.attributes);
  const goldTarget = goldSpans[0];
  return el(
    "td",
    { ...props, dataset: { ...props.dataset, span: span.id } },
    el("div", {}, labelTag(span.label), " ", quoted(span.text, 70), el("span", { className: "offsets" }, ` [${span.start}, ${span.end})`)),
    attributes ? el("div", { className: "attrs" }, attributes) : null,
    el(
      "div",
      { className: "cell-actions" },
      el("button", { type: "button", className: "small", disabled: adjudicated || Boolean(copied), title: copied ? "Already in gold" : "Accept into gold (a)", onclick: () => accept(span) }, copied ? "In gold" : "Accept"),
      el("button", { type: "button", className: "small", disabled: adjudicated, title: "Reject this span (x)", onclick: () => reject(span) }, "Reject"),
      goldTarget
        ? el("button", { type: "button", className: "small", disabled: adjudicated || sameJson(span.attributes, goldTarget.attributes), title: "Take these attribute values into the gold span (t)", onclick: () => takeAttributes(span, goldTarget) }, "Take attributes")
        : null,
    ),
  );
}

function setCurrent(row, col, { focus = true } = {}) {
  state.row = row;
  state.col = col;
  for (const node of $("groups").querySelectorAll("td.current")) node.classList.remove("current");
  for (const node of $("groups").querySelectorAll("tr.current-row")) node.classList.remove("current-row");
  const td = $("groups").querySelector(`td.member[data-row="${row}"][data-col="${col}"]`);
  if (!td) return;
  td.classList.add("current");
  td.parentElement.classList.add("current-row");
  if (focus) {
    td.focus();
    td.scrollIntoView({ block: "nearest" });
  }
}

function currentSpan() {
  const group = state.review.groups[state.row];
  const layer = state.review.layers[state.col];
  return group && layer ? memberOf(group, layer.id) : undefined;
}

function renderGoldList() {
  const spans = [...state.gold.values()].sort((a, b) => a.start - b.start || a.end - b.end || a.id - b.id);
  $("gold-count").textContent = String(spans.length);
  $("gold-list").replaceChildren(
    ...spans.map((span) =>
      el(
        "li",
        { className: span.id === state.selected ? "current" : "", dataset: { gold: span.id } },
        el("button", { type: "button", onclick: () => openGold(span.id, { focus: true }) }, labelTag(span.label), " ", el("span", { className: "span-snippet" }, snippet(span.text, 80))),
      ),
    ),
  );
}

function renderDecisions() {
  const decisions = state.review.decisions;
  $("decision-count").textContent = String(decisions.length);
  $("decisions").replaceChildren(
    ...decisions
      .slice()
      .reverse()
      .map((d) => {
        const span = d.after || d.before;
        const what = span && span.label ? `${span.label} ${quoted(span.text || "", 50)}` : span && span.status ? `layer ${span.assignment}: ${span.status}` : "";
        const time = formatTime(d.created_at);
        return el(
          "li",
          { dataset: { action: d.action } },
          el("strong", {}, d.action.replace("_", " ")),
          ` ${what} · ${d.reviewer} · `,
          el("time", { dateTime: d.created_at }, time),
          d.note ? el("div", { className: "note" }, d.note) : null,
        );
      }),
  );
}

// ---------------------------------------------------------------------------------------------
// The gold span panel (edit a copy, save it as one decision)

function draftOf(span) {
  return { version: span.version, label: span.label, start: span.start, end: span.end, text: span.text, attributes: { ...span.attributes } };
}

function openGold(id, { focus = false } = {}) {
  const span = state.gold.get(id);
  if (!span) return;
  state.selected = id;
  state.draft = draftOf(span);
  state.layer.select({ key: String(id) });
  renderGoldList();
  renderPanel();
  state.layer.nodeAt(span.start)?.scrollIntoView({ block: "nearest" });
  if (focus) $("gold-label")?.focus();
}

function closePanel() {
  state.selected = null;
  state.draft = null;
  state.layer?.select(null);
}

function changes() {
  const span = state.gold.get(state.selected);
  const draft = state.draft;
  if (!span || !draft) return {};
  const out = {};
  if (draft.label !== span.label) out.label = draft.label;
  if (draft.start !== span.start || draft.end !== span.end) Object.assign(out, { start: draft.start, end: draft.end, text: draft.text });
  if (!sameJson(draft.attributes, span.attributes) || out.label) out.attributes = answered(draft.attributes);
  return out;
}

function renderPanel() {
  const panel = $("gold-panel");
  const span = state.gold.get(state.selected);
  const draft = state.draft;
  if (!span || !draft) {
    panel.replaceChildren(
      el("h2", {}, "Gold span"),
      el("p", { className: "hint" }, "Accept a span from the table, or select text and press a label key to add one. Click a gold highlight or a gold span in the list to edit it."),
    );
    return;
  }
  const disabled = state.review.adjudicated;
  const dirty = Object.keys(changes()).length > 0;
  const boundary = (which, direction, text) =>
    el("button", { type: "button", disabled, title: "By word; hold Alt for one character", onclick: (e) => moveDraftBoundary(which, direction, e.altKey) }, text);
  panel.replaceChildren(
    el("h2", {}, "Gold span ", el("span", { className: "hint" }, `version ${span.version}`)),
    el("blockquote", { className: "span-text", id: "gold-text" }, draft.text),
    el("p", { className: "hint" }, `[${draft.start}, ${draft.end})`),
    el("label", { htmlFor: "gold-label" }, "Label"),
    el(
      "select",
      { id: "gold-label", disabled, onchange: (e) => setLabel(e.target.value) },
      ...state.schema.labels.map((l) => el("option", { value: l.key, selected: l.key === draft.label }, l.name)),
    ),
    ...attributesFor(state.schema, draft.label).map((a) =>
      attributeControl(a, {
        value: draft.attributes[a.key],
        label: draft.label,
        targets: state.schema.targets,
        disabled,
        idPrefix: "gold-attr",
        onChange: (value, focusId) => setAttribute(a.key, value, focusId),
      }),
    ),
    el("div", { className: "boundaries", role: "group", "aria-label": "Adjust boundaries" },
      boundary("start", -1, "◀ Start"), boundary("start", 1, "Start ▶"), boundary("end", -1, "◀ End"), boundary("end", 1, "End ▶")),
    el("div", { className: "panel-actions" },
      el("button", { type: "button", id: "gold-save", className: "primary", disabled: disabled || !dirty, title: "Save (Ctrl+Enter)", "aria-keyshortcuts": "Control+Enter", onclick: saveDraft }, "Save changes"),
      el("button", { type: "button", id: "gold-discard", disabled: !dirty, title: "Discard the changes (Esc)", onclick: discardDraft }, "Discard")),
    el("button", { type: "button", id: "gold-remove", className: "danger", disabled, title: "Remove from gold (Delete)", onclick: removeSelected }, "Remove from gold"),
  );
}

/** @param {object} patch @param {{refocus?: string}} [options] the id of the control to focus again */
function updateDraft(patch, { refocus } = {}) {
  Object.assign(state.draft, patch);
  renderPanel();
  if (refocus) $(refocus)?.focus();
}

function setLabel(key) {
  const allowed = new Set(attributesFor(state.schema, key).map((a) => a.key));
  const attributes = Object.fromEntries(Object.entries(state.draft.attributes).filter(([k]) => allowed.has(k)));
  updateDraft({ label: key, attributes }, { refocus: "gold-label" });
}

function setAttribute(key, value, refocus) {
  const attributes = { ...state.draft.attributes };
  if (value === undefined || value === null || (Array.isArray(value) && !value.length)) delete attributes[key];
  else attributes[key] = value;
  updateDraft({ attributes }, { refocus });
}


function moveDraftBoundary(which, direction, byCharacter) {
  const draft = state.draft;
  const text = state.index;
  const { start, end } = moveBoundary(text, draft, which, direction, byCharacter);
  if (start === draft.start && end === draft.end) return;
  const label = { start: { "-1": "◀ Start", 1: "Start ▶" }, end: { "-1": "◀ End", 1: "End ▶" } }[which][direction];
  updateDraft({ start, end, text: text.slice(start, end) });
  [...$("gold-panel").querySelectorAll(".boundaries button")].find((b) => b.textContent === label)?.focus();
}

async function saveDraft() {
  const body = changes();
  if (!Object.keys(body).length) return;
  await decide({ action: "edit", gold_span_id: state.selected, version: state.draft.version, ...body });
}

function discardDraft() {
  const span = state.gold.get(state.selected);
  if (span) state.draft = draftOf(span);
  renderPanel();
}

async function removeSelected() {
  const span = state.gold.get(state.selected);
  if (!span) return;
  const answer = await decide({ action: "reject", gold_span_id: span.id, version: span.version });
  if (answer) $("gold-list").querySelector("button")?.focus();
}

// ---------------------------------------------------------------------------------------------
// Actions on the annotators' spans

function accept(span) {
  return decide({ action: "accept", span_id: span.id });
}

function reject(span) {
  return decide({ action: "reject", span_id: span.id });
}

function takeAttributes(span, gold) {
  return decide({ action: "take_attributes", span_id: span.id, gold_span_id: gold.id, version: gold.version });
}

function currentTextRange() {
  const selection = window.getSelection();
  if (!selection.rangeCount || selection.isCollapsed) return null;
  return selectionToCodePoints(textBox, selection.getRangeAt(0), state.index);
}

/** A label key or button: add a gold span from the selected text, else relabel the open one. */
async function labelKey(labelKey, exact) {
  if (state.review.adjudicated) return flash("This document is adjudicated: reopen its gold layer to change it.", true);
  const range = currentTextRange();
  if (range) {
    let { start, end } = range;
    if (!exact) {
      const snapped = snapToWords(state.index.text, start, end);
      if (!snapped) return;
      ({ start, end } = snapped);
    }
    const answer = await decide({ action: "add", label: labelKey, start, end, text: state.index.slice(start, end), attributes: {}, client_uuid: crypto.randomUUID() });
    if (answer) {
      window.getSelection().removeAllRanges();
      const added = answer.decisions[0]?.gold_span;
      if (added) openGold(added);
    }
    return;
  }
  if (state.selected !== null) return setLabel(labelKey);
  flash("Select some text first, then choose a label.");
}

function openReopen(layer) {
  state.reopenTarget = layer;
  $("reopen-who").textContent =
    layer.kind === "gold" ? "The gold layer: the document is no longer adjudicated until it is marked again." : `${layer.username}'s layer: they can edit it again and submit it anew.`;
  $("reopen-note").value = "";
  $("reopen-dialog").showModal();
}

$("reopen-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const layer = state.reopenTarget;
  $("reopen-dialog").close();
  if (layer) await decide({ action: "reopen", assignment_id: layer.id, note: $("reopen-note").value.trim() });
});
$("reopen-cancel").addEventListener("click", () => $("reopen-dialog").close());
$("reopen-gold").addEventListener("click", () => state.review.gold && openReopen({ ...state.review.gold, kind: "gold" }));
$("accept-agreed").addEventListener("click", () => decide({ action: "accept_agreed" }));
$("adjudicate").addEventListener("click", () => decide({ action: "adjudicate" }));
$("calibration").addEventListener("change", async (event) => {
  const box = event.target;
  try {
    const { data } = await api.put(config.urls.calibration, { calibration: box.checked });
    box.checked = data.calibration;
    flash(data.calibration ? "A calibration item: annotators who have not had it get it now and then, unannounced." : "No longer a calibration item.");
  } catch (error) {
    box.checked = !box.checked;
    flash(error.message, true);
  }
});

// ---------------------------------------------------------------------------------------------
// Mouse and keyboard

textBox.addEventListener("click", (event) => {
  if (!window.getSelection().isCollapsed) return;
  const keys = event.target.closest(".seg")?.dataset.spans?.split(" ") || [];
  if (!keys.length) return;
  openGold(Number(keys[keys.length - 1])); // the innermost span
});
// Editable only so that the keyboard can move a caret and select; every edit is refused.
textBox.addEventListener("beforeinput", (event) => event.preventDefault());
textBox.addEventListener("paste", (event) => event.preventDefault());
textBox.addEventListener("drop", (event) => event.preventDefault());
textBox.addEventListener("input", () => state.review && apply(state.review));

function inTextControl(target) {
  return target.closest("input, select, textarea, dialog") !== null;
}

function stepGold(direction) {
  const spans = [...state.gold.values()].sort((a, b) => a.start - b.start || a.end - b.end || a.id - b.id);
  if (!spans.length) return;
  const at = spans.findIndex((s) => s.id === state.selected);
  const next = direction > 0 ? at + 1 : (at < 0 ? spans.length : at) - 1;
  if (spans[next]) openGold(spans[next].id);
}

document.addEventListener("keydown", (event) => {
  if (!state.review || $("reopen-dialog").open) return;
  const ctrl = event.ctrlKey || event.metaKey;
  if (ctrl && event.key === "Enter") {
    event.preventDefault();
    return saveDraft();
  }
  if (event.key === "Escape") {
    if (Object.keys(changes()).length) return discardDraft();
    closePanel();
    renderGoldList();
    return renderPanel();
  }
  if (ctrl || inTextControl(event.target)) return;
  const label = state.schema.labels.find((l) => l.shortcut && (l.shortcut === event.key || event.code === `Digit${l.shortcut}`));
  if (label) {
    event.preventDefault();
    return labelKey(label.key, event.altKey);
  }
  const { groups, layers } = state.review;
  const key = event.key;
  const moves = { j: [1, 0], k: [-1, 0], l: [0, 1], h: [0, -1] };
  if (moves[key] && groups.length && layers.length) {
    event.preventDefault();
    const [dr, dc] = moves[key];
    return setCurrent(Math.min(Math.max(0, state.row + dr), groups.length - 1), Math.min(Math.max(0, state.col + dc), layers.length - 1));
  }
  if (key === "A" && event.shiftKey) {
    event.preventDefault();
    return decide({ action: "accept_agreed" });
  }
  if (key === "[" || key === "]") {
    event.preventDefault();
    return stepGold(key === "]" ? 1 : -1);
  }
  if (key === "Delete" && state.selected !== null) {
    event.preventDefault();
    return removeSelected();
  }
  const span = currentSpan();
  const group = groups[state.row];
  if (key === "e" && group?.gold_spans.length) {
    event.preventDefault();
    return openGold(group.gold_spans[0], { focus: true });
  }
  if (key === "r" && layers[state.col]?.status === "submitted") {
    event.preventDefault();
    return openReopen(layers[state.col]);
  }
  if (!span) return;
  if (key === "a") {
    event.preventDefault();
    return accept(span);
  }
  if (key === "x") {
    event.preventDefault();
    return reject(span);
  }
  if (key === "t" && group?.gold_spans.length) {
    event.preventDefault();
    return takeAttributes(span, state.gold.get(group.gold_spans[0]));
  }
});

load().catch((error) => flash(`Could not load the review: ${error.message}`, true));
