// The save queue of the annotation page. Every span operation is saved at once, in order; while
// the server cannot be reached the operations wait here (and in localStorage, so a reload keeps
// them) and are retried. Creates carry a client_uuid, so a retry after a lost answer never
// makes a duplicate; updates and deletes carry the version they were based on.

import { ApiError, NetworkError } from "./api.js";

const RETRY_DELAYS_MS = [500, 1000, 2000, 4000];

/**
 * @typedef {{kind: "create"|"update"|"delete", key: string, changes?: object}} Operation
 * @typedef {"saved"|"saving"|"offline"} SaveState
 */

export class Outbox {
  /**
   * @param {object} options
   * @param {string} options.storageKey localStorage key for pending operations
   * @param {(op: Operation) => Promise<void>} options.send performs one operation
   * @param {(op: Operation, error: ApiError) => void} options.onRejected the server refused it
   * @param {(state: SaveState, pending: number) => void} options.onState
   */
  constructor({ storageKey, send, onRejected, onState }) {
    this.storageKey = storageKey;
    this.send = send;
    this.onRejected = onRejected;
    this.onState = onState;
    /** @type {Operation[]} */
    this.queue = this.#load();
    this.running = false;
    this.failures = 0;
    this.timer = null;
    this.idleWaiters = [];
    window.addEventListener("online", () => this.flush());
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

  async #run() {
    this.running = true;
    while (this.queue.length) {
      this.onState("saving", this.queue.length);
      const op = this.queue[0];
      try {
        await this.send(op);
      } catch (error) {
        if (error instanceof NetworkError) {
          const delay = RETRY_DELAYS_MS[Math.min(this.failures, RETRY_DELAYS_MS.length - 1)];
          this.failures += 1;
          this.running = false;
          this.onState("offline", this.queue.length);
          this.timer = setTimeout(() => this.flush(), delay);
          return;
        }
        if (!(error instanceof ApiError)) throw error;
        this.onRejected(op, error);
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
