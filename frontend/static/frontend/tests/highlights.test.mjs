// Run with: node --test frontend/static/frontend/tests/
// Lanes: each span keeps one underline height along its extent, an outer span below the spans
// nested in it, crossing spans apart, and a lane freed when its span ends.
import { test } from "node:test";
import assert from "node:assert/strict";

import { assignLanes } from "../lib/highlights.js";

const span = (key, start, end) => ({ key, start, end, label: "CLAIM" });

test("three nested levels take lanes 0, 1 and 2 from the outside in", () => {
  const lanes = assignLanes([span("inner", 10, 20), span("outer", 0, 50), span("middle", 5, 30)]);
  assert.deepEqual(Object.fromEntries(lanes), { outer: 0, middle: 1, inner: 2 });
});

test("spans that start together: the longer one is outside", () => {
  const lanes = assignLanes([span("short", 0, 10), span("long", 0, 40)]);
  assert.deepEqual(Object.fromEntries(lanes), { long: 0, short: 1 });
});

test("crossing spans keep apart, and a lane is reused once its span has ended", () => {
  const lanes = assignLanes([span("a", 0, 10), span("b", 5, 15), span("c", 12, 20), span("d", 16, 18)]);
  assert.deepEqual(Object.fromEntries(lanes), { a: 0, b: 1, c: 0, d: 1 });
});
