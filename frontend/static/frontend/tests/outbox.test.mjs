// Run with: node --test frontend/static/frontend/tests/
// The save queue: order, refusals that do not hold up later saves, retries with a cap, the
// Retry that starts again, and what a reload finds.
import { beforeEach, test } from "node:test";
import assert from "node:assert/strict";

import { ApiError, NetworkError } from "../lib/api.js";
import { Outbox } from "../lib/outbox.js";

// The browser globals the outbox uses: window's events and localStorage.
globalThis.window = new EventTarget();
const storage = new Map();
globalThis.localStorage = {
  getItem: (key) => (storage.has(key) ? storage.get(key) : null),
  setItem: (key, value) => storage.set(key, String(value)),
  removeItem: (key) => storage.delete(key),
};

beforeEach(() => storage.clear());

/** An outbox whose server answers from `answers` (an error to throw, or nothing), in order. */
function outbox(answers, { delays = [1, 1, 1] } = {}) {
  const sent = [];
  const refused = [];
  const states = [];
  const box = new Outbox({
    storageKey: "test",
    delays,
    send: async (op) => {
      sent.push(op.key);
      const answer = answers.shift();
      if (answer) throw answer;
    },
    onRejected: (op, error) => refused.push([op.key, error.status, error.message]),
    onState: (state, pending, reason) => states.push([state, pending, reason]),
  });
  return { box, sent, refused, states };
}

const op = (key) => ({ kind: "create", key, body: {} });
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

test("operations are sent once each, in order", async () => {
  const { box, sent, states } = outbox([]);
  box.push(op("a"));
  box.push(op("b"));
  await box.idle();
  assert.deepEqual(sent, ["a", "b"]);
  assert.deepEqual(states.at(-1), ["saved", 0, undefined]);
  assert.equal(storage.size, 0);
});

test("a refusal is reported for its operation and the later ones are saved", async () => {
  const { box, sent, refused } = outbox([undefined, new ApiError(400, { label: ["Unknown label"] })]);
  for (const key of ["a", "b", "c"]) box.push(op(key));
  await box.idle();
  assert.deepEqual(sent, ["a", "b", "c"]);
  assert.deepEqual(refused, [["b", 400, "label: Unknown label"]]);
});

test("server errors are retried after growing waits, then saved once", async () => {
  const failure = new NetworkError("Server error 500");
  const { box, sent, states } = outbox([failure, failure, failure]);
  box.push(op("a"));
  box.push(op("b"));
  await box.idle();
  assert.deepEqual(sent, ["a", "a", "a", "a", "b"]);
  assert.deepEqual(
    states.filter(([state]) => state === "offline"),
    [["offline", 2, "Server error 500"], ["offline", 2, "Server error 500"], ["offline", 2, "Server error 500"]],
  );
  assert.deepEqual(states.at(-1), ["saved", 0, undefined]);
});

test("after the last wait saving stops, keeps the changes, and Retry starts again", async () => {
  const failure = new NetworkError("Server error 503");
  const { box, sent, states } = outbox([failure, failure, failure, failure]);
  box.push(op("a"));
  await settle();
  assert.deepEqual(states.at(-1), ["stopped", 1, "Server error 503"]);
  assert.equal(sent.length, 4); // the first try and one after each of the three waits
  assert.equal(JSON.parse(storage.get("test")).length, 1, "kept for a reload");
  box.retry();
  await box.idle();
  assert.deepEqual(sent, ["a", "a", "a", "a", "a"]);
  assert.deepEqual(states.at(-1), ["saved", 0, undefined]);
});

test("a reload finds the operations not yet sent and sends each once", async () => {
  const { box } = outbox([new NetworkError("offline")], { delays: [10_000] });
  box.push(op("a"));
  box.push(op("b"));
  await settle();
  clearTimeout(box.timer); // the page goes away
  const reloaded = outbox([]);
  assert.deepEqual(reloaded.box.queue.map((o) => o.key), ["a", "b"]);
  reloaded.box.flush();
  await reloaded.box.idle();
  assert.deepEqual(reloaded.sent, ["a", "b"]);
});

test("a fault in the page is reported as a refusal instead of stopping the queue", async () => {
  const original = console.error;
  console.error = () => {};
  try {
    const { box, sent, refused } = outbox([new TypeError("bug")]);
    box.push(op("a"));
    box.push(op("b"));
    await box.idle();
    assert.deepEqual(sent, ["a", "b"]);
    assert.equal(refused[0][0], "a");
    assert.match(refused[0][2], /could not be sent \(TypeError: bug\)/);
  } finally {
    console.error = original;
  }
});
