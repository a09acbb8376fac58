// @ts-check
// The save queue of the annotation page. Every span operation is saved at once, in order. A
// refusal (4xx) is reported for its operation and the queue moves on. While the server cannot
// be reached or fails (5xx) the operations wait here (and in localStorage, so a reload keeps
// them) and are retried with growing delays; after the last delay saving stops until retry()
// (the page's Retry button, or the browser coming back online). Creates carry a client_uuid,
// so a retry after a lost answer never makes a duplicate; updates and deletes carry the version
// they were based on.

import { ApiError, NetworkError } from "./api.js";

/** Waits between attempts; after the last one fails, saving stops (about a minute in all). */
export const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 16000, 32000];

/**
 * @typedef {{kind: "create"|"update"|"delete", key: string, changes?: object, body?: object}} Operation
 * @typedef {"saved"|"saving"|"offline"|"stopped"} SaveState
 */

export class Outbox {
  /**
   * @param {object} options
   * @param {string} options.storageKey localStorage key for pending operations
   * @param {(op: Operation) => Promise<void>} options.send performs one operation
   * @param {(op: Operation, error: ApiError) => void} options.onRejected the server refused it
   * @param {(state: SaveState, pending: number, reason?: string) => void} options.onState
   *   "offline" while retrying, "stopped" once the retries are spent (reason: the last error)
   * @param {number[]} [options.delays] waits between attempts, in milliseconds
   */
  constructor({ storageKey, send, onRejected, onState, delays = RETRY_DELAYS_MS }) {
    this.storageKey = storageKey;
    this.send = send;
    this.onRejected = onRejected;
    this.onState = onState;
    this.delays = delays;
    /** @type {Operation[]} */
    this.queue = this.#load();
    this.running = false;
    this.failures = 0;
    this.timer = null;
    this.idleWaiters = [];
    window.addEventListener("online", () => this.retry());
  }

  /** Operations left from an earlier visit (e.g. the page was closed while offline). */
  get pending() {
    return this.queue.length;
  }

  /** @param {Operation} op */
  push(op) {
    this.queue.push(op);
    this.#store();
    this.flush();
  }

  /** Resolves once every queued operation has been saved or refused. */
  idle() {
    if (!this.queue.length && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.running) this.#run();
  }

  /** Start again after saving stopped: the attempts count from the first delay again. */
  retry() {
    this.failures = 0;
    this.flush();
  }

  async #run() {
    this.running = true;
    while (this.queue.length) {
      this.onState("saving", this.queue.length);
      const op = this.queue[0];
      try {
        await this.send(op);
      } catch (error) {
        if (error instanceof NetworkError) {
          this.running = false;
          if (this.failures >= this.delays.length) {
            this.onState("stopped", this.queue.length, error.message);
            return;
          }
          const delay = this.delays[this.failures];
          this.failures += 1;
          this.onState("offline", this.queue.length, error.message);
          this.timer = setTimeout(() => this.flush(), delay);
          return;
        }
        if (error instanceof ApiError) this.onRejected(op, error);
        else {
          // A fault in the page itself: report it and move on rather than hold every later save.
          console.error(error);
          this.onRejected(op, new ApiError(0, { detail: `This change could not be sent (${error}).` }));
        }
      }
      this.failures = 0;
      this.queue.shift();
      this.#store();
    }
    this.running = false;
    this.onState("saved", 0);
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  #load() {
    try {
      return JSON.parse(localStorage.getItem(this.storageKey) || "[]");
    } catch {
      return [];
    }
  }

  #store() {
    if (this.queue.length) localStorage.setItem(this.storageKey, JSON.stringify(this.queue));
    else localStorage.removeItem(this.storageKey);
  }
}
