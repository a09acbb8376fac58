// @ts-check
// Draws spans over the document text. The text is cut into lines, and lines into segments at
// every span boundary; a segment carries the spans covering it, drawn as a tint of the innermost
// span's colour and one underline per covering span. Each span keeps one lane, the height of its
// underline, along its whole extent: lanes are handed out in reading order, an outer span below
// the spans nested in it, so nested and crossing spans read as separate lines. A change
// re-renders only the lines it touches, never the whole text.
//
// Suggestions (setSuggestions) are drawn beneath the spans as a dashed underline in their
// label's colour; they take no lane and never tint the text.
//
// Offsets here are code points; the only conversion to UTF-16 is OffsetIndex#slice.

const MAX_LANES = 4; // deeper spans share the top lane
const LANE_PX = 3;

/**
 * The lane of each span: the lowest free one when it starts, longer spans first where several
 * start together, so a span's lane is below those of the spans nested in it.
 * @param {DrawnSpan[]} spans
 * @returns {Map<string, number>}
 */
export function assignLanes(spans) {
  const ordered = spans.slice().sort((a, b) => a.start - b.start || b.end - a.end || (a.key < b.key ? -1 : 1));
  /** @type {number[]} the end of the span holding each lane */
  const busyUntil = [];
  const lanes = new Map();
  for (const span of ordered) {
    let lane = busyUntil.findIndex((end) => end <= span.start);
    if (lane < 0) lane = busyUntil.length;
    busyUntil[lane] = span.end;
    lanes.set(span.key, lane);
  }
  return lanes;
}

/**
 * @typedef {{key: string, start: number, end: number, label: string}} DrawnSpan
 * @typedef {{key: string, start: number, end: number, label: string, confidence?: number}} DrawnSuggestion
 * @typedef {{color: string, name: string, badge: string}} LabelStyle
 */

export class HighlightLayer {
  /**
   * @param {HTMLElement} container empty element that will hold the text
   * @param {import("./offsets.js").OffsetIndex} index of the document text
   * @param {(label: string) => LabelStyle} styleOf
   * @param {(span: any) => string} describe hover text of a span
   */
  constructor(container, index, styleOf, describe) {
    this.container = container;
    this.index = index;
    this.styleOf = styleOf;
    this.describe = describe;
    this.selectedKey = null;
    /** @type {Map<string, number>} */
    this.lanes = new Map();
    /** @type {DrawnSuggestion[]} */
    this.suggestions = [];
    /** @type {string|null} */
    this.currentSuggestion = null;
    // The text is drawn as one block per line (each keeps its "\n"), so a change lays out only
    // its own lines and the browser can skip lines out of view.
    this.lineStarts = [0];
    const text = index.text;
    for (let i = text.indexOf("\n"); i >= 0 && i < text.length - 1; i = text.indexOf("\n", i + 1)) {
      this.lineStarts.push(index.toCodePoint(i + 1));
    }
    this.lines = [];
  }

  /** Render the whole text (first paint). @param {DrawnSpan[]} spans */
  renderAll(spans) {
    this.lanes = assignLanes(spans);
    const ordered = spans.slice().sort((a, b) => a.start - b.start);
    this.lines = this.lineStarts.map((start, i) => this.#line(start, this.#lineEnd(i), ordered));
    this.container.replaceChildren(...this.lines);
  }

  /**
   * Re-render the lines that overlap [from, to) after spans changed there.
   * @param {DrawnSpan[]} spans all spans (only those overlapping the range are read)
   */
  update(spans, from, to) {
    if (!this.lines.length) return this.renderAll(spans);
    const lanes = assignLanes(spans);
    // Spans whose lane moved are redrawn too, so each keeps one lane along its extent.
    for (const span of spans) {
      if (lanes.get(span.key) !== this.lanes.get(span.key)) {
        from = Math.min(from, span.start);
        to = Math.max(to, span.end);
      }
    }
    this.lanes = lanes;
    const first = this.#lineAt(from);
    const last = this.#lineAt(Math.max(from, to - 1));
    for (let i = first; i <= last; i++) {
      const line = this.#line(this.lineStarts[i], this.#lineEnd(i), spans);
      this.lines[i].replaceWith(line);
      this.lines[i] = line;
    }
  }

  /**
   * Draw these suggestions, `current` marked, in place of the ones drawn before.
   * @param {DrawnSuggestion[]} suggestions
   * @param {string|null} current key of the current suggestion
   * @param {DrawnSpan[]} spans all spans, as update takes them
   */
  setSuggestions(suggestions, current, spans) {
    // Only the lines of suggestions that came, went or became (or stopped being) current.
    const before = new Map(this.suggestions.map((s) => [s.key, s]));
    const after = new Map(suggestions.map((s) => [s.key, s]));
    const changed = [
      ...suggestions.filter((s) => !before.has(s.key)),
      ...this.suggestions.filter((s) => !after.has(s.key)),
      ...[this.currentSuggestion, current].map((key) => (key ? before.get(key) || after.get(key) : undefined)),
    ].filter((s) => s !== undefined);
    this.suggestions = suggestions.slice().sort((a, b) => a.start - b.start);
    this.currentSuggestion = current;
    if (!this.lines.length) return;
    for (const s of changed) this.update(spans, s.start, s.end);
  }

  /** Show one span's extent (hovered), or none. @param {string|null} key */
  hover(key) {
    for (const node of this.container.querySelectorAll(".seg.hovered")) node.classList.remove("hovered");
    if (!key) return;
    for (const node of this.container.querySelectorAll(`.seg[data-spans~="${CSS.escape(key)}"]`)) {
      node.classList.add("hovered");
    }
  }

  /** Mark the segments of one span as selected (and unmark the previous one). */
  select(span) {
    for (const node of this.container.querySelectorAll(".seg.selected")) node.classList.remove("selected");
    this.selectedKey = span ? span.key : null;
    if (!span) return;
    for (const node of this.container.querySelectorAll(`.seg[data-spans~="${CSS.escape(span.key)}"]`)) {
      node.classList.add("selected");
    }
  }

  /** The element of the line holding a code point offset (to scroll to it). */
  nodeAt(offset) {
    return this.lines[this.#lineAt(offset)];
  }

  #lineEnd(i) {
    return i + 1 < this.lineStarts.length ? this.lineStarts[i + 1] : this.index.codePointLength;
  }

  /** Index of the line containing code point `offset` (binary search). */
  #lineAt(offset) {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** One line [from, to) as a block of segments cut at every span boundary inside it. */
  #line(from, to, spans) {
    const line = document.createElement("div");
    line.className = "line";
    const inside = spans.filter((s) => s.start < to && s.end > from);
    const offered = this.suggestions.filter((s) => s.start < to && s.end > from);
    const cuts = new Set([from, to]);
    for (const s of [...inside, ...offered]) {
      if (s.start > from) cuts.add(s.start);
      if (s.end < to) cuts.add(s.end);
    }
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i < points.length - 1; i++) {
      const start = points[i];
      const end = points[i + 1];
      const covering = inside
        .filter((s) => s.start <= start && s.end >= end)
        .sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
      const suggested = offered.find((s) => s.start <= start && s.end >= end) || null;
      line.append(this.#segment(start, end, covering, suggested));
    }
    return line;
  }

  /** One segment: its text, a badge where a span starts, and the spans' colours. */
  #segment(start, end, covering, suggested) {
    const node = document.createElement("span");
    node.className = "seg";
    if (suggested) {
      const style = this.styleOf(suggested.label);
      node.classList.add("suggested");
      if (suggested.key === this.currentSuggestion) node.classList.add("current-suggestion");
      node.dataset.suggestion = suggested.key;
      node.style.setProperty("--suggest", style.color);
      const confidence = suggested.confidence === undefined ? "" : ` (${Math.round(suggested.confidence * 100)}%)`;
      node.title = `Suggested: ${style.name}${confidence}`;
    }
    if (covering.length) {
      // Outermost first, innermost last: the innermost tints the background.
      node.classList.add("hl");
      node.dataset.spans = covering.map((s) => s.key).join(" ");
      const inner = covering[covering.length - 1];
      node.style.setProperty("--tint", this.styleOf(inner.label).color);
      const lane = (/** @type {DrawnSpan} */ span) => Math.min(this.lanes.get(span.key) ?? 0, MAX_LANES - 1);
      node.style.backgroundImage = covering
        .map((s) => `linear-gradient(${this.styleOf(s.label).color}, ${this.styleOf(s.label).color})`)
        .join(", ");
      node.style.backgroundPosition = covering.map((s) => `0 calc(100% - ${lane(s) * LANE_PX}px)`).join(", ");
      node.style.paddingBottom = `${(Math.max(...covering.map(lane)) + 1) * LANE_PX}px`;
      node.title = [...covering.map((s) => this.describe(s)), node.title].filter(Boolean).join("\n");
      for (const s of covering) {
        if (s.start === start) node.append(this.#badge(s));
        if (s.key === this.selectedKey) node.classList.add("selected");
      }
    }
    node.append(document.createTextNode(this.index.slice(start, end)));
    return node;
  }

  #badge(span) {
    const style = this.styleOf(span.label);
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.setAttribute("data-offset-ignore", "");
    badge.setAttribute("aria-hidden", "true");
    badge.contentEditable = "false";
    badge.style.background = style.color;
    badge.textContent = style.badge;
    return badge;
  }
}
