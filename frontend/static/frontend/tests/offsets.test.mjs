// Run with: node --test frontend/static/frontend/tests/
// Expected offsets are what Python computes on the same strings (len(), text[start:end]).
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import {
  OffsetIndex,
  codePointsToRange,
  domPointToUtf16,
  domText,
  moveBoundary,
  selectionToCodePoints,
  sliceByCodePoints,
  snapToWords,
  quoted,
  snippet,
  utf16ToDomPoint,
} from "../lib/offsets.js";

const FAMILY = "👩\u200d👩\u200d👧"; // 5 code points, 8 UTF-16 code units

/** Every code point offset c converts to UTF-16 and back unchanged, and lands on a character boundary. */
function assertRoundTrips(text) {
  const index = new OffsetIndex(text);
  const chars = Array.from(text);
  assert.equal(index.codePointLength, chars.length);
  assert.equal(index.utf16Length, text.length);
  for (let c = 0; c <= chars.length; c++) {
    const u = index.toUtf16(c);
    assert.equal(u, chars.slice(0, c).join("").length, `toUtf16(${c})`);
    assert.equal(index.toCodePoint(u), c, `start round trip at ${c}`);
    assert.equal(index.toCodePoint(u, "end"), c, `end round trip at ${c}`);
  }
}

describe("OffsetIndex", () => {
  test("ASCII: offsets are identical", () => {
    const index = new OffsetIndex("Hello, world");
    assert.equal(index.codePointLength, 12);
    assert.equal(index.toUtf16(7), 7);
    assert.equal(index.toCodePoint(12), 12);
    assert.equal(index.slice(7, 12), "world");
    assertRoundTrips("Hello, world");
  });

  test("curly quotes and en/em dashes are one unit each", () => {
    const text = "“Don’t” – she said — ‘fine’";
    const index = new OffsetIndex(text);
    assert.equal(index.codePointLength, 27);
    assert.equal(index.utf16Length, 27);
    assert.equal(index.slice(8, 9), "–");
    assert.equal(index.slice(19, 20), "—");
    assertRoundTrips(text);
  });

  test("a single astral emoji is 1 code point, 2 code units", () => {
    const index = new OffsetIndex("a😀b");
    assert.equal(index.codePointLength, 3);
    assert.equal(index.utf16Length, 4);
    assert.deepEqual([0, 1, 2, 3].map((c) => index.toUtf16(c)), [0, 1, 3, 4]);
    assert.deepEqual([0, 1, 3, 4].map((u) => index.toCodePoint(u)), [0, 1, 2, 3]);
    assert.equal(index.slice(1, 2), "😀");
    assert.equal(index.slice(2, 3), "b");
  });

  test("a ZWJ family sequence is several code points", () => {
    const text = `x${FAMILY}y`;
    const index = new OffsetIndex(text);
    assert.equal(index.codePointLength, 7);
    assert.equal(index.utf16Length, 10);
    assert.equal(index.toUtf16(6), 9);
    assert.equal(index.toCodePoint(9), 6);
    assert.equal(index.slice(1, 6), FAMILY);
    assert.equal(index.slice(2, 3), "\u200d");
    assertRoundTrips(text);
  });

  test("mathematical letters (U+1D400..)", () => {
    const text = "𝐀𝐁𝐂 = ABC";
    const index = new OffsetIndex(text);
    assert.equal(index.codePointLength, 9);
    assert.equal(index.utf16Length, 12);
    assert.equal(index.toUtf16(3), 6);
    assert.equal(index.toCodePoint(6), 3);
    assert.equal(index.slice(1, 2), "𝐁");
    assert.equal(index.slice(6, 9), "ABC");
    assertRoundTrips(text);
  });

  test("combining marks are separate code points in the BMP", () => {
    const text = "cafe\u0301!";
    const index = new OffsetIndex(text);
    assert.equal(index.codePointLength, 6);
    assert.equal(index.slice(3, 5), "e\u0301");
    assert.equal(index.toUtf16(5), 5);
  });

  test("text after line breaks", () => {
    const text = "😀\nab\n\n𝐀cd";
    const index = new OffsetIndex(text);
    // Python: len(text) == 9; text.index("ab") == 2; text.index("cd") == 7
    assert.equal(index.codePointLength, 9);
    assert.equal(index.toUtf16(2), 3);
    assert.equal(index.slice(2, 4), "ab");
    assert.equal(index.slice(4, 6), "\n\n");
    assert.equal(index.toUtf16(7), 9);
    assert.equal(index.toCodePoint(9), 7);
    assert.equal(index.slice(7, 9), "cd");
    assertRoundTrips(text);
  });

  test("a UTF-16 offset inside a surrogate pair snaps to the character's start or end", () => {
    const index = new OffsetIndex("a😀b𝐀");
    assert.equal(index.toCodePoint(2), 1);
    assert.equal(index.toCodePoint(2, "start"), 1);
    assert.equal(index.toCodePoint(2, "end"), 2);
    assert.equal(index.toCodePoint(5, "end"), 4);
    assert.deepEqual(index.toCodePointRange(2, 2), { start: 1, end: 2 });
    assert.deepEqual(index.toCodePointRange(2, 5), { start: 1, end: 4 });
    assert.equal(index.slice(1, 4), "😀b𝐀");
  });

  test("round trips at every position of a mixed string", () => {
    const text = `“Hi” — a😀b\n\n𝐀𝐁𝐂 ${FAMILY} cafe\u0301 3,000 ok`;
    assertRoundTrips(text);
    const index = new OffsetIndex(text);
    for (let u = 0; u <= text.length; u++) {
      const start = index.toCodePoint(u, "start");
      const end = index.toCodePoint(u, "end");
      const split = u > 0 && u < text.length && /[\ud800-\udbff]/.test(text[u - 1]);
      assert.equal(end - start, split ? 1 : 0, `snap at ${u}`);
      if (!split) assert.equal(index.toUtf16(start), u);
    }
  });

  test("slice has Python semantics", () => {
    const text = "a😀b𝐀c";
    assert.equal(sliceByCodePoints(text, 1, 4), "😀b𝐀");
    assert.equal(sliceByCodePoints(text, -2), "𝐀c");
    assert.equal(sliceByCodePoints(text, 0, -1), "a😀b𝐀");
    assert.equal(sliceByCodePoints(text, null, 2), "a😀");
    assert.equal(sliceByCodePoints(text, 3, 100), "𝐀c");
    assert.equal(sliceByCodePoints(text, -100, 1), "a");
    assert.equal(sliceByCodePoints(text, 4, 2), "");
    assert.equal(sliceByCodePoints(text), text);
  });

  test("out-of-range and non-integer offsets throw RangeError", () => {
    const index = new OffsetIndex("a😀");
    assert.throws(() => index.toUtf16(3), RangeError);
    assert.throws(() => index.toUtf16(-1), RangeError);
    assert.throws(() => index.toCodePoint(4), RangeError);
    assert.throws(() => index.toCodePoint(1.5), RangeError);
    assert.throws(() => index.toCodePointRange(3, 1), RangeError);
  });

  test("lone surrogates count as one code point, as in Python", () => {
    const index = new OffsetIndex("a\ud800b\udc00");
    assert.equal(index.codePointLength, 4);
    assert.equal(index.toUtf16(3), 3);
  });
});

// --- A minimal fake DOM: only what offsets.js may use. ---

class FakeNode {
  constructor(nodeType, nodeValue = null) {
    this.nodeType = nodeType;
    this.nodeValue = nodeValue;
    this.childNodes = [];
    this.parentNode = null;
  }
}

class FakeElement extends FakeNode {
  constructor(attributes, children) {
    super(1);
    this.attributes = attributes;
    for (const child of children) {
      child.parentNode = this;
      this.childNodes.push(child);
    }
  }
  hasAttribute(name) {
    return Object.hasOwn(this.attributes, name);
  }
}

const text = (value) => new FakeNode(3, value);
const el = (attributes, ...children) => new FakeElement(attributes, children);
const fakeRange = () => ({
  setStart(node, offset) {
    Object.assign(this, { startContainer: node, startOffset: offset });
  },
  setEnd(node, offset) {
    Object.assign(this, { endContainer: node, endOffset: offset });
  },
});
const rangeOf = (startContainer, startOffset, endContainer, endOffset) => ({ startContainer, startOffset, endContainer, endOffset });

describe("DOM helpers", () => {
  // Document text, and where each text node starts (code points / UTF-16), as Python computes it:
  //   A "“Don’t panic,” she said "  cp  0..24  u16  0..24
  //   B "👋.\n\nThe "                cp 24..32  u16 24..33
  //   C "𝐀𝐁"                        cp 32..34  u16 33..37
  //   D "𝐂 team"                    cp 34..40  u16 37..44
  //   (badge "ORG", ignored)
  //   E " — 3,000 strong."          cp 40..56  u16 44..60
  const DOC = "“Don’t panic,” she said 👋.\n\nThe 𝐀𝐁𝐂 team — 3,000 strong.";
  const A = text("“Don’t panic,” she said ");
  const B = text("👋.\n\nThe ");
  const C = text("𝐀𝐁");
  const D = text("𝐂 team");
  const badgeText = text("ORG");
  const badge = el({ "data-offset-ignore": "" }, badgeText);
  const E = text(" — 3,000 strong.");
  const mark3 = el({}, D);
  const mark2 = el({}, C, mark3);
  const container = el({}, A, el({}, B), mark2, badge, E);
  const heading = text("Headline");
  const footer = text("Footer");
  const body = el({}, el({}, heading), container, el({}, footer)); // body > h1, container, p
  const index = new OffsetIndex(DOC);

  test("the counted text equals the document text", () => {
    assert.equal(domText(container), DOC);
    assert.equal(index.codePointLength, 56);
    assert.equal(index.utf16Length, 60);
  });

  test("domPointToUtf16 for text and element boundary points", () => {
    assert.equal(domPointToUtf16(container, A, 0), 0);
    assert.equal(domPointToUtf16(container, B, 5), 29); // before "The"
    assert.equal(domPointToUtf16(container, C, 2), 35); // between 𝐀 and 𝐁
    assert.equal(domPointToUtf16(container, D, 7), 44); // after "team"
    assert.equal(domPointToUtf16(container, E, 3), 47);
    assert.equal(domPointToUtf16(container, container, 1), 24); // before the first mark
    assert.equal(domPointToUtf16(container, mark2, 1), 37); // before the nested mark
    assert.equal(domPointToUtf16(container, container, 4), 44); // after the badge
    assert.equal(domPointToUtf16(container, container, 5), 60);
    assert.equal(domPointToUtf16(container, badgeText, 2), 44); // inside the badge: its position
    assert.equal(domPointToUtf16(container, badge, 1), 44);
    assert.equal(domPointToUtf16(container, heading, 0), null);
  });

  test("utf16ToDomPoint resolves node boundaries by edge and skips the badge", () => {
    assert.deepEqual(utf16ToDomPoint(container, 0), { node: A, offset: 0 });
    assert.deepEqual(utf16ToDomPoint(container, 0, "end"), { node: A, offset: 0 });
    assert.deepEqual(utf16ToDomPoint(container, 24), { node: B, offset: 0 });
    assert.deepEqual(utf16ToDomPoint(container, 24, "end"), { node: A, offset: 24 });
    assert.deepEqual(utf16ToDomPoint(container, 29), { node: B, offset: 5 });
    assert.deepEqual(utf16ToDomPoint(container, 37), { node: D, offset: 0 });
    assert.deepEqual(utf16ToDomPoint(container, 37, "end"), { node: C, offset: 4 });
    assert.deepEqual(utf16ToDomPoint(container, 44), { node: E, offset: 0 });
    assert.deepEqual(utf16ToDomPoint(container, 44, "end"), { node: D, offset: 7 });
    assert.deepEqual(utf16ToDomPoint(container, 60), { node: E, offset: 16 });
    assert.throws(() => utf16ToDomPoint(container, 61), RangeError);
    const empty = el({});
    assert.deepEqual(utf16ToDomPoint(empty, 0), { node: empty, offset: 0 });
  });

  test("selectionToCodePoints across element boundaries gives Python offsets", () => {
    const cases = [
      [rangeOf(B, 5, D, 7), 28, 40, "The 𝐀𝐁𝐂 team"],
      [rangeOf(container, 1, container, 4), 24, 40, "👋.\n\nThe 𝐀𝐁𝐂 team"],
      [rangeOf(A, 15, B, 2), 15, 25, "she said 👋"],
      [rangeOf(mark2, 1, E, 8), 34, 48, "𝐂 team — 3,000"],
      [rangeOf(badgeText, 1, E, 8), 40, 48, " — 3,000"],
      [rangeOf(C, 1, D, 1), 32, 35, "𝐀𝐁𝐂"], // both ends inside surrogate pairs: snapped outward
    ];
    for (const [range, start, end, phrase] of cases) {
      assert.deepEqual(selectionToCodePoints(container, range, index), { start, end });
      assert.equal(sliceByCodePoints(DOC, start, end), phrase);
    }
  });

  test("selectionToCodePoints clips to the container and rejects empty selections", () => {
    assert.deepEqual(selectionToCodePoints(container, rangeOf(heading, 2, B, 2), index), { start: 0, end: 25 });
    assert.deepEqual(selectionToCodePoints(container, rangeOf(E, 10, footer, 3), index), { start: 50, end: 56 });
    assert.deepEqual(selectionToCodePoints(container, rangeOf(heading, 0, footer, 0), index), { start: 0, end: 56 });
    assert.deepEqual(selectionToCodePoints(container, rangeOf(body, 1, body, 2), index), { start: 0, end: 56 });
    assert.equal(selectionToCodePoints(container, rangeOf(body, 2, body, 3), index), null);
    assert.equal(selectionToCodePoints(container, rangeOf(heading, 0, heading, 5), index), null);
    assert.equal(selectionToCodePoints(container, rangeOf(B, 3, B, 3), index), null);
    assert.equal(selectionToCodePoints(container, rangeOf(badgeText, 0, badgeText, 3), index), null);
    assert.equal(selectionToCodePoints(container, rangeOf(text("detached"), 0, B, 1), index), null);
  });

  test("codePointsToRange places each boundary in the node of its adjacent character", () => {
    const range = codePointsToRange(container, 28, 40, index, fakeRange);
    assert.deepEqual(
      [range.startContainer, range.startOffset, range.endContainer, range.endOffset],
      [B, 5, D, 7],
    );
    const whole = codePointsToRange(container, 24, 40, index, fakeRange);
    assert.deepEqual([whole.startContainer, whole.startOffset, whole.endContainer, whole.endOffset], [B, 0, D, 7]);
    const caret = codePointsToRange(container, 32, 32, index, fakeRange);
    assert.deepEqual([caret.startContainer, caret.startOffset, caret.endContainer, caret.endOffset], [C, 0, C, 0]);
  });

  test("codePointsToRange uses ownerDocument.createRange by default", () => {
    const owned = el({}, text("a😀b"));
    owned.ownerDocument = { createRange: fakeRange };
    const range = codePointsToRange(owned, 1, 2, new OffsetIndex("a😀b"));
    assert.deepEqual([range.startOffset, range.endOffset], [1, 3]);
  });

  test("codePointsToRange and selectionToCodePoints are inverse for every span", () => {
    for (let start = 0; start < 56; start++) {
      for (let end = start + 1; end <= 56; end++) {
        const range = codePointsToRange(container, start, end, index, fakeRange);
        assert.deepEqual(selectionToCodePoints(container, range, index), { start, end });
      }
    }
  });
});

describe("snapToWords", () => {
  // Python: S[10:15] == "don’t", S[19:24] == "3,000", S[25:35] == "well-known",
  // S[36:42] == "cafe\u0301s", S[43] == "😀", S[44:49] == "Great", S[51:56] == FAMILY
  const S = `She said “don’t” — 3,000 well-known cafe\u0301s 😀Great, ${FAMILY} ok`;
  const snap = (start, end) => snapToWords(S, start, end);

  test("a mid-word selection expands to the whole word", () => {
    assert.deepEqual(snap(1, 2), { start: 0, end: 3 });
    assert.deepEqual(snap(2, 5), { start: 0, end: 8 });
  });

  test("surrounding whitespace is trimmed", () => {
    assert.deepEqual(snap(4, 9), { start: 4, end: 8 });
    assert.deepEqual(snap(3, 9), { start: 4, end: 8 });
  });

  test("internal apostrophes join a word", () => {
    assert.deepEqual(snap(11, 13), { start: 10, end: 15 });
    assert.equal(sliceByCodePoints(S, 10, 15), "don’t");
    assert.deepEqual(snap(9, 12), { start: 9, end: 15 }); // the selected opening quote is kept
    assert.deepEqual(snap(13, 14), { start: 10, end: 15 }); // just the apostrophe
  });

  test("a number with a thousands separator is one word", () => {
    assert.deepEqual(snap(21, 23), { start: 19, end: 24 });
    assert.equal(sliceByCodePoints(S, 19, 24), "3,000");
  });

  test("a hyphenated word is one word", () => {
    assert.deepEqual(snap(30, 32), { start: 25, end: 35 });
    assert.equal(sliceByCodePoints(S, 25, 35), "well-known");
  });

  test("combining marks belong to the word", () => {
    assert.deepEqual(snap(36, 40), { start: 36, end: 42 });
  });

  test("after an emoji, offsets stay in code points and the emoji is not a word character", () => {
    assert.deepEqual(snap(45, 47), { start: 44, end: 49 });
    assert.equal(sliceByCodePoints(S, 44, 49), "Great");
    assert.deepEqual(snap(43, 45), { start: 43, end: 49 });
    assert.deepEqual(snap(44, 50), { start: 44, end: 50 }); // trailing comma kept as selected
  });

  test("an emoji ZWJ sequence is never cut", () => {
    assert.deepEqual(snap(53, 54), { start: 51, end: 56 });
    assert.deepEqual(snap(57, 58), { start: 57, end: 59 });
  });

  test("punctuation alone stays selected; whitespace alone or nothing gives null", () => {
    assert.deepEqual(snap(17, 18), { start: 17, end: 18 });
    assert.equal(snap(56, 57), null);
    assert.equal(snap(5, 5), null);
    assert.equal(snapToWords(" \n\n ", 0, 4), null);
    assert.throws(() => snap(5, 100), RangeError);
  });
});

describe("moveBoundary", () => {
  const it = test;
  const index = new OffsetIndex("🚋 The council said £48 million.");
  // code points: 🚋=0 space=1 The=2..5 council=6..13 said=14..18 £48=19..22 million=23..30 .=30
  const span = { start: 2, end: 18 }; // "The council said"

  it("moves an end back to the end of the previous word", () => {
    assert.deepEqual(moveBoundary(index, span, "end", -1), { start: 2, end: 13 });
  });
  it("moves an end forward to the end of the next word", () => {
    assert.deepEqual(moveBoundary(index, span, "end", 1), { start: 2, end: 22 });
  });
  it("moves a start forward to the next word and back to the previous one", () => {
    assert.deepEqual(moveBoundary(index, span, "start", 1), { start: 6, end: 18 });
    assert.deepEqual(moveBoundary(index, { start: 6, end: 18 }, "start", -1), { start: 2, end: 18 });
  });
  it("moves by one character, never emptying the span or leaving the text", () => {
    assert.deepEqual(moveBoundary(index, span, "start", -1, true), { start: 1, end: 18 });
    assert.deepEqual(moveBoundary(index, { start: 5, end: 6 }, "end", -1, true), { start: 5, end: 6 });
    assert.deepEqual(moveBoundary(index, { start: 0, end: 3 }, "start", -1, true), { start: 0, end: 3 });
    assert.equal(index.slice(...Object.values(moveBoundary(index, span, "end", 1))), "The council said £48");
  });
});

describe("snippet", () => {
  test("keeps short text whole", () => {
    assert.equal(snippet("Fares rise", 20), "Fares rise");
    assert.equal(snippet("", 5), "");
  });
  test("cuts at the limit, never inside a surrogate pair", () => {
    assert.equal(snippet("ab😀cd", 3), "ab😀…");
    assert.equal(snippet("ab😀cd", 2), "ab…");
    assert.ok(!snippet("😀".repeat(50), 7).includes("\ufffd"));
  });
  test("counts a ZWJ family, a combining accent and a flag as one character each", () => {
    assert.equal(snippet(`${FAMILY}${FAMILY}x`, 2), `${FAMILY}${FAMILY}…`);
    assert.equal(snippet("cafe\u0301 noir", 4), "cafe\u0301…");
    assert.equal(snippet("🇫🇷🇩🇪 flags", 1), "🇫🇷…");
  });
});

describe("quoted", () => {
  test("puts a snippet in quotation marks", () => {
    assert.equal(quoted("the council said", 80), "“the council said”");
    assert.equal(quoted("costs rose by 12% in the year", 10), "“costs rose…”");
  });
  test("leaves a span that is a quote with its own marks", () => {
    assert.equal(quoted("“the cafe\u0301 is closed”", 80), "“the cafe\u0301 is closed”");
    assert.equal(quoted('"Scrap the tram," she said', 12), '"Scrap the t…');
  });
});
