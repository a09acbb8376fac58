// @ts-check
/**
 * Offsets between the server and the browser. This module is the only place that converts them.
 *
 * Contract: the canonical text is the stored document text. Server offsets are Unicode code
 * points (Python `str` indices), half-open `[start, end)`. The browser works in UTF-16 code units
 * (`String.prototype.length`, DOM Range offsets). A character outside the Basic Multilingual Plane
 * (emoji, 𝐀) is 1 code point but 2 code units; everything else is 1 and 1. A lone surrogate counts
 * as one code point, as Python would count it.
 *
 * Plain ES module without dependencies; works in the browser and in node.
 */

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const IGNORE_ATTRIBUTE = "data-offset-ignore";

/** Number of elements of the sorted array `sorted` that are less than `x` (binary search). */
function countBelow(sorted, x) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkOffset(offset, max) {
  if (!Number.isInteger(offset) || offset < 0 || offset > max) {
    throw new RangeError(`offset ${offset} is not an integer in [0, ${max}]`);
  }
}

/**
 * Converts offsets of one string between code points and UTF-16 code units.
 * Built once in O(n); every conversion is O(log a), a = number of astral characters
 * (O(1) when there are none).
 */
export class OffsetIndex {
  /** UTF-16 offsets of the astral characters (well-formed surrogate pairs), ascending. */
  #astral16 = [];
  /** Code point offsets of the same characters, ascending. */
  #astralCp = [];

  /** @param {string} text the canonical document text */
  constructor(text) {
    /** @type {string} */
    this.text = text;
    for (let i = 0; i < text.length - 1; i++) {
      const hi = text.charCodeAt(i);
      if (hi >= 0xd800 && hi <= 0xdbff) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          this.#astralCp.push(i - this.#astral16.length);
          this.#astral16.push(i);
          i++;
        }
      }
    }
    /** Length in UTF-16 code units (`text.length`). */
    this.utf16Length = text.length;
    /** Length in code points (Python `len(text)`). */
    this.codePointLength = text.length - this.#astral16.length;
  }

  /**
   * UTF-16 offset -> code point offset.
   * An offset between the two halves of a surrogate pair is snapped to the start of that character
   * when `edge` is "start" and to its end when `edge` is "end"; any other offset is exact.
   * @param {number} offset16 integer in [0, utf16Length]
   * @param {"start"|"end"} [edge="start"] whether the offset opens or closes a range
   * @returns {number} integer in [0, codePointLength]
   * @throws {RangeError} if offset16 is out of range or not an integer
   */
  toCodePoint(offset16, edge = "start") {
    checkOffset(offset16, this.utf16Length);
    const before = countBelow(this.#astral16, offset16); // astral characters starting before offset16
    const inside = before > 0 && this.#astral16[before - 1] === offset16 - 1;
    return offset16 - before + (inside && edge === "end" ? 1 : 0);
  }

  /**
   * Code point offset -> UTF-16 offset (always on a character boundary).
   * @param {number} offset integer in [0, codePointLength]
   * @returns {number} integer in [0, utf16Length]
   * @throws {RangeError} if offset is out of range or not an integer
   */
  toUtf16(offset) {
    checkOffset(offset, this.codePointLength);
    return offset + countBelow(this.#astralCp, offset);
  }

  /**
   * UTF-16 range -> code point range, snapping outward: a start inside a surrogate pair moves to
   * the start of the character, an end inside one moves to its end, so no character is cut.
   * @param {number} start16
   * @param {number} end16 not less than start16
   * @returns {{start: number, end: number}}
   */
  toCodePointRange(start16, end16) {
    if (end16 < start16) throw new RangeError(`end ${end16} is before start ${start16}`);
    return { start: this.toCodePoint(start16, "start"), end: this.toCodePoint(end16, "end") };
  }

  /**
   * Python's `text[start:end]`: code point indices, negative ones count from the end,
   * out-of-range ones are clamped, `undefined`/`null` mean "from the start"/"to the end".
   * @param {number|null} [start]
   * @param {number|null} [end]
   * @returns {string}
   */
  slice(start, end) {
    const n = this.codePointLength;
    const clamp = (i) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
    const s = clamp(start ?? 0);
    const e = clamp(end ?? n);
    return s < e ? this.text.slice(this.toUtf16(s), this.toUtf16(e)) : "";
  }
}

/**
 * Python's `text[start:end]` (code point indices, same rules as {@link OffsetIndex#slice}).
 * Builds an index, so prefer `OffsetIndex#slice` when slicing the same text repeatedly.
 * @param {string} text
 * @param {number|null} [start]
 * @param {number|null} [end]
 * @returns {string}
 */
export function sliceByCodePoints(text, start, end) {
  return new OffsetIndex(text).slice(start, end);
}

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * `text` cut to at most `limit` characters as a reader counts them, with "…" where it was cut.
 * A character here is a grapheme cluster: an emoji sequence joined by ZWJ, a letter with its
 * combining accent, a flag. Cutting by UTF-16 units would split a surrogate pair and show "�".
 * @param {string} text
 * @param {number} limit
 * @returns {string}
 */
export function snippet(text, limit) {
  let kept = "";
  let count = 0;
  for (const { segment } of GRAPHEMES.segment(text)) {
    if (count === limit) return `${kept}…`;
    kept += segment;
    count += 1;
  }
  return kept;
}

const OPENING_QUOTE = /^["'“‘«„‚]/u;

/**
 * A snippet of `text` in quotation marks, unless it opens with one of its own (a quoted span):
 * “the council said”, not ““the cafe is closed””.
 * @param {string} text @param {number} limit
 */
export function quoted(text, limit) {
  const cut = snippet(text, limit);
  return OPENING_QUOTE.test(cut) ? cut : `“${cut}”`;
}

// --- DOM -------------------------------------------------------------------------------------
// The document text is rendered inside a container, split into text nodes across nested elements.
// The container's text is the concatenation, in document order, of its text nodes' values,
// skipping every element that has a `data-offset-ignore` attribute (labels, badges) with all of
// its content. Only childNodes, nodeType, nodeValue, parentNode and hasAttribute are used.

function isIgnored(node) {
  return node.nodeType === ELEMENT_NODE && node.hasAttribute(IGNORE_ATTRIBUTE);
}

/** The counted text nodes below `root`, in document order. */
function* textNodes(root) {
  for (const child of root.childNodes) {
    if (child.nodeType === TEXT_NODE) yield child;
    else if (child.nodeType === ELEMENT_NODE && !isIgnored(child)) yield* textNodes(child);
  }
}

/** Counted UTF-16 length of a node and its content. */
function textLength(node) {
  if (node.nodeType === TEXT_NODE) return node.nodeValue.length;
  let length = 0;
  if (node.nodeType === ELEMENT_NODE && !isIgnored(node)) {
    for (const child of node.childNodes) length += textLength(child);
  }
  return length;
}

/**
 * The counted text of `container` (see above). It must equal the document text for offsets to
 * agree with the server; use it to check a rendering.
 * @param {Node} container
 * @returns {string}
 */
export function domText(container) {
  let text = "";
  for (const node of textNodes(container)) text += node.nodeValue;
  return text;
}

/**
 * DOM boundary point -> UTF-16 offset from the start of the container's text: the number of
 * counted code units before the point. `node` is a text node (offset in code units) or any other
 * node (offset = child index), as in a DOM Range boundary. A point inside an ignored element
 * counts as the position of that element.
 * @param {Node} container
 * @param {Node} node
 * @param {number} offset
 * @returns {number|null} null if node is not the container or inside it
 */
export function domPointToUtf16(container, node, offset) {
  let total = 0;
  if (node.nodeType === TEXT_NODE) total = offset;
  else for (let i = 0; i < offset; i++) total += textLength(node.childNodes[i]);
  for (let n = node; n !== container; n = n.parentNode) {
    if (!n) return null;
    if (isIgnored(n)) total = 0;
    for (const sibling of n.parentNode?.childNodes ?? []) {
      if (sibling === n) break;
      total += textLength(sibling);
    }
  }
  return total;
}

/**
 * UTF-16 offset from the start of the container's text -> text node and code unit offset in it.
 * Where the offset falls between two text nodes, `edge` "start" gives the start of the later
 * node and "end" the end of the earlier one, so a range never reaches into a neighbouring
 * element. Empty text nodes are skipped. A container without text gives `{node: container, offset: 0}`.
 * @param {Node} container
 * @param {number} offset16 integer in [0, container text length]
 * @param {"start"|"end"} [edge="start"]
 * @returns {{node: Node, offset: number}}
 * @throws {RangeError} if offset16 is beyond the container's text
 */
export function utf16ToDomPoint(container, offset16, edge = "start") {
  let position = 0;
  let first = null;
  let last = null;
  for (const node of textNodes(container)) {
    const end = position + node.nodeValue.length;
    if (edge === "end" ? position < offset16 && offset16 <= end : position <= offset16 && offset16 < end) {
      return { node, offset: offset16 - position };
    }
    first ??= node;
    last = node;
    position = end;
  }
  if (offset16 === 0) return { node: first ?? container, offset: 0 };
  if (offset16 === position) return { node: last, offset: last.nodeValue.length };
  throw new RangeError(`offset ${offset16} is not in [0, ${position}]`);
}

/** Where a boundary point lies relative to `container`: -1 before, 0 inside, 1 after, null in another tree. */
function sideOf(container, node, offset) {
  const ancestry = (n) => {
    const chain = [];
    for (; n; n = n.parentNode) chain.push(n);
    return chain.reverse();
  };
  const a = ancestry(node);
  const b = ancestry(container);
  if (a[0] !== b[0]) return null;
  let i = 1;
  while (i < b.length && a[i] === b[i]) i++;
  if (i === b.length) return 0;
  const siblings = Array.from(b[i - 1].childNodes);
  const position = i < a.length ? siblings.indexOf(a[i]) : offset;
  return position <= siblings.indexOf(b[i]) ? -1 : 1;
}

/**
 * A DOM Range (e.g. the user's selection) -> code point offsets into the document text, snapped
 * outward to whole characters. A range that only partly overlaps the container is clipped to it.
 * @param {Node} container renders exactly the text of `index`
 * @param {{startContainer: Node, startOffset: number, endContainer: Node, endOffset: number}} range
 * @param {OffsetIndex} index of the document text
 * @returns {{start: number, end: number}|null} null if the range is collapsed, covers no counted
 *   text of the container, or is in another tree
 */
export function selectionToCodePoints(container, range, index) {
  const toUtf16 = (node, offset) => {
    const side = sideOf(container, node, offset);
    if (side === null) return null;
    if (side !== 0) return side < 0 ? 0 : index.utf16Length;
    return domPointToUtf16(container, node, offset);
  };
  const start16 = toUtf16(range.startContainer, range.startOffset);
  const end16 = toUtf16(range.endContainer, range.endOffset);
  if (start16 === null || end16 === null || start16 >= end16) return null;
  return index.toCodePointRange(start16, end16);
}

/**
 * Code point offsets into the document text -> a DOM Range over the container's text nodes,
 * with each boundary inside the text node that holds the adjacent character.
 * @param {Node} container renders exactly the text of `index`
 * @param {number} start code point offset
 * @param {number} end code point offset, not less than start
 * @param {OffsetIndex} index of the document text
 * @param {() => Range} [createRange] defaults to `container.ownerDocument.createRange()`
 * @returns {Range}
 */
export function codePointsToRange(container, start, end, index, createRange = () => container.ownerDocument.createRange()) {
  if (end < start) throw new RangeError(`end ${end} is before start ${start}`);
  const from = utf16ToDomPoint(container, index.toUtf16(start), "start");
  const to = end === start ? from : utf16ToDomPoint(container, index.toUtf16(end), "end");
  const range = createRange();
  range.setStart(from.node, from.offset);
  range.setEnd(to.node, to.offset);
  return range;
}

// --- Word snapping -----------------------------------------------------------------------------

const WORD = /[\p{L}\p{M}\p{N}\p{Pc}]/u;
const WORD_JOINER = /['’\-‐‑]/u; // apostrophes and hyphens, inside a word
const DIGIT_JOINER = /[,.]/u; // thousands and decimal separators, inside a number
const DIGIT = /\p{Nd}/u;
const SPACE = /\s/u;
const CLUSTER_EXTEND = /[\p{M}\p{Emoji_Modifier}\u200d]/u; // never starts a character on screen

/** Whether the code point at i is part of a word (joiners only between word characters / digits). */
function isWordAt(chars, i) {
  const c = chars[i];
  if (c === undefined) return false;
  if (WORD.test(c)) return true;
  const prev = chars[i - 1] ?? "";
  const next = chars[i + 1] ?? "";
  if (WORD_JOINER.test(c)) return WORD.test(prev) && WORD.test(next);
  if (DIGIT_JOINER.test(c)) return DIGIT.test(prev) && DIGIT.test(next);
  return false;
}

/**
 * Expands a selection to whole words, in code points. Surrounding whitespace is trimmed first;
 * then an end that falls inside a word moves to that word's edge. Word characters are Unicode
 * letters, marks, numbers and connector punctuation, plus apostrophes (' ’) and hyphens between
 * them and , . between digits ("don’t", "well-known", "3,000"). Other characters (punctuation,
 * emoji) are kept as selected, but combining marks and emoji ZWJ sequences are never cut.
 * The result is never empty when the selection contains anything but whitespace.
 * @param {string} text the document text
 * @param {number} start code point offset
 * @param {number} end code point offset, in [start, codePointLength]
 * @returns {{start: number, end: number}|null} null if the selection is empty or only whitespace
 */
export function snapToWords(text, start, end) {
  const chars = Array.from(text);
  checkOffset(end, chars.length);
  checkOffset(start, end);
  while (start < end && SPACE.test(chars[start])) start++;
  while (end > start && SPACE.test(chars[end - 1])) end--;
  if (start === end) return null;
  if (isWordAt(chars, start)) while (isWordAt(chars, start - 1)) start--;
  if (isWordAt(chars, end - 1)) while (isWordAt(chars, end)) end++;
  while (start > 0 && (CLUSTER_EXTEND.test(chars[start]) || chars[start - 1] === "\u200d")) start--;
  while (end < chars.length && (CLUSTER_EXTEND.test(chars[end]) || chars[end - 1] === "\u200d")) end++;
  return { start, end };
}

/**
 * Moves one boundary of a span, in code points: by one character, or to the next word edge in
 * that direction (a start to the start of a word, an end to the end of one). The span never
 * becomes empty and never leaves the text.
 * @param {OffsetIndex} index of the document text
 * @param {{start: number, end: number}} span
 * @param {"start"|"end"} which
 * @param {-1|1} direction
 * @param {boolean} [byCharacter=false]
 * @returns {{start: number, end: number}}
 */
export function moveBoundary(index, span, which, direction, byCharacter = false) {
  const n = index.codePointLength;
  const isWord = (i) => /[\p{L}\p{N}\p{M}_]/u.test(index.slice(i, i + 1));
  let { start, end } = span;
  if (byCharacter) {
    if (which === "start") start = Math.min(Math.max(0, start + direction), end - 1);
    else end = Math.max(Math.min(n, end + direction), start + 1);
  } else if (which === "start" && direction < 0) {
    while (start > 0 && !isWord(start - 1)) start--;
    while (start > 0 && isWord(start - 1)) start--;
  } else if (which === "start") {
    while (start < end - 1 && isWord(start)) start++;
    while (start < end - 1 && !isWord(start)) start++;
  } else if (direction < 0) {
    while (end > start + 1 && isWord(end - 1)) end--;
    while (end > start + 1 && !isWord(end - 1)) end--;
  } else {
    while (end < n && !isWord(end)) end++;
    while (end < n && isWord(end)) end++;
  }
  return { start, end };
}
