// Draws spans over the document text. The text is cut into segments at every span boundary;
// a segment carries the spans covering it, drawn as a tint of the innermost span's colour and
// one underline per covering span, so overlapping spans stay visible. A change re-renders only
// the segments in the changed range, never the whole text.
//
// Offsets here are code points; the only conversion to UTF-16 is OffsetIndex#slice.

const MAX_UNDERLINES = 4;

/**
 * @typedef {{key: string, start: number, end: number, label: string}} DrawnSpan
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
    /** Segment starts (code points), ascending, and their elements, in step. */
    this.starts = [];
    this.nodes = [];
    this.selectedKey = null;
  }

  /** Render the whole text (first paint). @param {DrawnSpan[]} spans */
  renderAll(spans) {
    const fragment = document.createDocumentFragment();
    const { starts, nodes } = this.#build(0, this.index.codePointLength, spans, fragment);
    this.container.replaceChildren(fragment);
    this.starts = starts;
    this.nodes = nodes;
  }

  /**
   * Re-render the segments that overlap [from, to) after spans changed there.
   * @param {DrawnSpan[]} spans all spans (only those overlapping the range are read)
   */
  update(spans, from, to) {
    if (!this.nodes.length) return this.renderAll(spans);
    const first = Math.max(0, this.#segmentAt(from));
    const last = this.#segmentAt(Math.max(from, to - 1));
    const rangeStart = this.starts[first];
    const rangeEnd = last + 1 < this.starts.length ? this.starts[last + 1] : this.index.codePointLength;
    const fragment = document.createDocumentFragment();
    const { starts, nodes } = this.#build(rangeStart, rangeEnd, spans, fragment);
    this.nodes[first].before(fragment);
    for (let i = first; i <= last; i++) this.nodes[i].remove();
    this.starts.splice(first, last - first + 1, ...starts);
    this.nodes.splice(first, last - first + 1, ...nodes);
  }

  /** Mark the segments of one span as selected (and unmark the previous one). */
  select(span) {
    for (const node of this.container.querySelectorAll(".seg.selected")) node.classList.remove("selected");
    this.selectedKey = span ? span.key : null;
    if (!span) return;
    for (let i = Math.max(0, this.#segmentAt(span.start)); i < this.nodes.length && this.starts[i] < span.end; i++) {
      this.nodes[i].classList.add("selected");
    }
  }

  /** The element of the segment holding a code point offset (to scroll to it). */
  nodeAt(offset) {
    return this.nodes[Math.max(0, this.#segmentAt(offset))];
  }

  /** Index of the segment containing code point `offset` (binary search). */
  #segmentAt(offset) {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Build the segments of [from, to) into `fragment`. */
  #build(from, to, spans, fragment) {
    const inside = spans.filter((s) => s.start < to && s.end > from);
    const cuts = new Set([from, to]);
    for (const s of inside) {
      if (s.start > from) cuts.add(s.start);
      if (s.end < to) cuts.add(s.end);
    }
    const points = [...cuts].sort((a, b) => a - b);
    const starts = [];
    const nodes = [];
    for (let i = 0; i < points.length - 1; i++) {
      const start = points[i];
      const end = points[i + 1];
      const covering = inside
        .filter((s) => s.start <= start && s.end >= end)
        .sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
      const node = this.#segment(start, end, covering);
      fragment.append(node);
      starts.push(start);
      nodes.push(node);
    }
    return { starts, nodes };
  }

  /** One segment: its text, a badge where a span starts, and the spans' colours. */
  #segment(start, end, covering) {
    const node = document.createElement("span");
    node.className = "seg";
    if (covering.length) {
      // Outermost first, innermost last: the innermost tints the background.
      node.classList.add("hl");
      node.dataset.spans = covering.map((s) => s.key).join(" ");
      const inner = covering[covering.length - 1];
      node.style.setProperty("--tint", this.styleOf(inner.label).color);
      node.style.backgroundImage = covering
        .slice(-MAX_UNDERLINES)
        .map((s) => `linear-gradient(${this.styleOf(s.label).color}, ${this.styleOf(s.label).color})`)
        .join(", ");
      node.style.backgroundPosition = covering
        .slice(-MAX_UNDERLINES)
        .map((_, i) => `0 calc(100% - ${i * 3}px)`)
        .join(", ");
      node.title = covering.map((s) => this.describe(s)).join("\n");
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
