// @ts-check
// Building and finding page elements: the helpers every page script uses.

/**
 * The page's element with this id. Typed `any`: which kind of element an id names (a dialog, a
 * select) is the template's to say, not something the checker can see.
 * @param {string} id @returns {any}
 */
export const $ = (id) => document.getElementById(id);

/**
 * An element with properties, attributes, listeners (`onclick`...) and children. Properties the
 * element has are set as properties, others as attributes; null and undefined are left out, as
 * are null, undefined and false children.
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {any}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k in node) /** @type {any} */ (node)[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(.../** @type {(Node|string)[]} */ (children.filter((c) => c !== null && c !== undefined && c !== false)));
  return node;
}

/**
 * Say something in the page's #flash line (role="alert", so screen readers announce it).
 * @param {string} message @param {boolean} [isError]
 */
export function flash(message, isError = false) {
  const box = $("flash");
  box.textContent = message;
  box.dataset.kind = isError ? "error" : "info";
}

/** "1 change", "3 changes". @param {number} count @param {string} noun @param {string} [plural] */
export function pluralize(count, noun, plural = `${noun}s`) {
  return `${count} ${count === 1 ? noun : plural}`;
}

/**
 * A moment as every page writes it, "2026-12-04 15:30" (UTC, as the server renders times).
 * @param {string} iso an ISO 8601 timestamp from the API
 */
export function formatTime(iso) {
  return new Date(iso).toISOString().slice(0, 16).replace("T", " ");
}
