// Run with: node --test frontend/static/frontend/tests/
// The schema helpers: which attributes a label takes and requires, and how values read.
import { test } from "node:test";
import assert from "node:assert/strict";

import { answered, attributeSummary, attributesFor, formatValue, labelOf, missingRequired } from "../lib/schema.js";
import { fillUrl } from "../lib/urls.js";

const SCHEMA = {
  labels: [
    { key: "CLAIM", name: "Claim", color: "#2563eb" },
    { key: "OPINION", name: "Opinion", color: "#d97706" },
  ],
  attributes: [
    { key: "evidence", name: "Evidence", kind: "choice", description: "", values: [], applies_to: ["CLAIM", "OPINION"], required_for: ["CLAIM"] },
    { key: "hedged", name: "Hedged", kind: "boolean", description: "", values: [], applies_to: [], required_for: [] },
    { key: "stance", name: "Stance", kind: "target", description: "", values: [], applies_to: ["CLAIM"], required_for: ["CLAIM"] },
  ],
  targets: [{ name: "Harbour City Council" }],
};

test("attributes apply to their labels, or to every label when none are named", () => {
  assert.deepEqual(attributesFor(SCHEMA, "CLAIM").map((a) => a.key), ["evidence", "hedged", "stance"]);
  assert.deepEqual(attributesFor(SCHEMA, "OPINION").map((a) => a.key), ["evidence", "hedged"]);
  assert.equal(labelOf(SCHEMA, "OPINION")?.name, "Opinion");
  assert.equal(labelOf(SCHEMA, "NOPE"), undefined);
});

test("a required attribute is missing when unset, null or an empty list", () => {
  assert.deepEqual(missingRequired(SCHEMA, { label: "CLAIM", attributes: {} }), ["evidence", "stance"]);
  assert.deepEqual(missingRequired(SCHEMA, { label: "CLAIM", attributes: { evidence: null, stance: [] } }), ["evidence", "stance"]);
  assert.deepEqual(
    missingRequired(SCHEMA, { label: "CLAIM", attributes: { evidence: "DATA", stance: [{ target: "Harbour City Council", stance: "FAVOR" }] } }),
    [],
  );
  assert.deepEqual(missingRequired(SCHEMA, { label: "OPINION", attributes: {} }), []);
});

test("values read as words, unanswered ones left out", () => {
  assert.equal(formatValue(true), "yes");
  assert.equal(formatValue(["A", "B"]), "A, B");
  assert.equal(formatValue([{ target: "Council", stance: "AGAINST" }]), "Council AGAINST");
  assert.deepEqual(answered({ a: null, b: [], c: false, d: "X" }), { c: false, d: "X" });
  assert.equal(attributeSummary({ evidence: "DATA", hedged: false, stance: [] }), "evidence: DATA · hedged: no");
});

test("URL templates are filled in, each value escaped, and a missing one is an error", () => {
  assert.equal(fillUrl("/api/v1/spans/{id}/", { id: 17 }), "/api/v1/spans/17/");
  assert.equal(fillUrl("/p/{a}/m/{b}/", { a: 1, b: "x y" }), "/p/1/m/x%20y/");
  assert.throws(() => fillUrl("/api/v1/spans/{id}/", {}), /no value for \{id\}/);
});

test("times read the same on every page: UTC, to the minute", async () => {
  const { formatTime } = await import("../lib/dom.js");
  assert.equal(formatTime("2026-12-04T15:30:59.123456+01:00"), "2026-12-04 14:30");
});
