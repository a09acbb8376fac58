// Run with: node --test frontend/static/frontend/tests/
// The attribute controls both the annotation and the review page draw, in a DOM from linkedom:
// one control per kind, each reporting the new value and where the focus belongs.
import { beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { parseHTML } from "linkedom";

const { document, Event } = parseHTML("<!doctype html><html><body></body></html>");
globalThis.document = document;

const { attributeControl } = await import("../lib/attribute-controls.js");

const TARGETS = [{ name: "Harbour City Council" }, { name: "Tramline Extension" }];
let changes;
beforeEach(() => (changes = []));

function control(attribute, value, label = "CLAIM") {
  const node = attributeControl(
    { description: "", applies_to: [], required_for: ["CLAIM"], values: [], ...attribute },
    { value, label, targets: TARGETS, disabled: false, idPrefix: "attr", onChange: (v, id) => changes.push([v, id]) },
  );
  document.body.replaceChildren(node);
  return node;
}

/** Choose `value` in a select (as a person would), or report a checkbox or radio as changed. */
function change(element, value) {
  if (value !== undefined) {
    for (const option of element.options) {
      if (option.value === value) option.setAttribute("selected", "");
      else option.removeAttribute("selected");
    }
    assert.equal(element.value, value);
  }
  element.dispatchEvent(new Event("change"));
}

test("a choice is a select with a blank, marked required for the labels that require it", () => {
  const node = control({ key: "evidence", name: "Evidence", kind: "choice", values: [{ value: "DATA" }, { value: "NONE" }] }, "DATA");
  const select = node.querySelector("select");
  assert.equal(select.id, "attr-evidence");
  assert.deepEqual([...select.options].map((o) => o.value), ["", "DATA", "NONE"]);
  assert.ok(node.querySelector(".required"));
  change(select, "NONE");
  change(select, "");
  assert.deepEqual(changes, [["NONE", "attr-evidence"], [null, "attr-evidence"]]);
  assert.equal(control({ key: "evidence", name: "Evidence", kind: "choice" }, null, "OPINION").querySelector(".required"), null);
});

test("yes or no gives booleans", () => {
  const select = control({ key: "hedged", name: "Hedged", kind: "boolean" }, undefined).querySelector("select");
  change(select, "true");
  change(select, "false");
  assert.deepEqual(changes.map(([v]) => v), [true, false]);
});

test("several values are checkboxes that keep the schema's order", () => {
  const node = control({ key: "tags", name: "Tags", kind: "multi", values: [{ value: "A" }, { value: "B" }, { value: "C" }] }, ["C"]);
  const boxes = node.querySelectorAll("input[type=checkbox]");
  boxes[0].checked = true;
  change(boxes[0]);
  assert.deepEqual(changes, [[["A", "C"], "attr-tags-0"]]);
});

test("stance is a radio group per target, with a select to add the targets not yet used", () => {
  const stance = { key: "stance", name: "Stance", kind: "target", values: [{ value: "FAVOR" }, { value: "AGAINST" }, { value: "NEUTRAL" }] };
  const node = control(stance, [{ target: "Harbour City Council", stance: "FAVOR" }]);
  const group = node.querySelector("[role=radiogroup]");
  assert.equal(group.getAttribute("aria-label"), "Stance toward Harbour City Council");
  const against = group.querySelector("input[value=AGAINST]");
  against.checked = true;
  change(against);
  const add = node.querySelector("select[aria-label='Add a stance target']");
  assert.deepEqual([...add.options].map((o) => o.value), ["", "Tramline Extension"]);
  change(add, "Tramline Extension");
  assert.deepEqual(changes.map(([v]) => v), [
    [{ target: "Harbour City Council", stance: "AGAINST" }],
    [{ target: "Harbour City Council", stance: "FAVOR" }, { target: "Tramline Extension", stance: "NEUTRAL" }],
  ]);
});
