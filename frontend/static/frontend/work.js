// @ts-check
// The dashboard's documents: read from the documents API a page at a time (its cursor is a
// keyset, so page 200 costs what page 1 does), filtered by source, layer state and annotator,
// with the filters kept in the address so a view can be shared. Running jobs show live progress.
import { api } from "./lib/api.js";
import { $, el, formatTime, pluralize } from "./lib/dom.js";
import { followJob } from "./lib/jobs.js";
import { fillUrl } from "./lib/urls.js";

const form = /** @type {HTMLFormElement} */ ($("work-filters"));
const rows = $("documents-rows");
const more = /** @type {HTMLButtonElement} */ ($("documents-more"));
const status = $("documents-status");
/** @type {string|null} */
let next = null;
let shown = 0;

const STATE_NAMES = { assigned: "assigned", in_progress: "in progress", submitted: "submitted", skipped: "skipped", returned: "returned for changes" };

/** The chosen filters as query parameters, blanks left out. */
function filters() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (value) params.set(name, String(value));
  return params;
}

/** @param {any} document one result of the documents API */
function row(document) {
  const layers = document.layers || [];
  return el("tr", {},
    el("td", {}, el("a", { href: fillUrl(String(form.dataset.reviewUrl), { id: document.id }) }, document.title || `Document ${document.id}`)),
    el("td", { dataset: { label: "Source" } }, document.source?.name || ""),
    el("td", { dataset: { label: "Published" } }, document.published_at ? formatTime(document.published_at).slice(0, 10) : "—"),
    el("td", { dataset: { label: "Layers" } }, layers.length
      ? el("ul", { className: "plain-list" }, ...layers.map((/** @type {any} */ layer) =>
          el("li", { className: "layer-chip", dataset: { state: layer.state } }, `${layer.annotator}: ${STATE_NAMES[layer.state] || layer.state}`)))
      : el("span", { className: "hint" }, "no layer yet")),
  );
}

/** @param {string} url @param {boolean} fresh */
async function load(url, fresh) {
  document.body.dataset.ready = "false";
  status.textContent = "Loading…";
  more.disabled = true;
  try {
    const { data } = await api.get(url);
    if (fresh) {
      rows.replaceChildren();
      shown = 0;
    }
    rows.append(...data.results.map(row));
    shown += data.results.length;
    next = data.next;
    more.hidden = !next;
    status.textContent = shown ? `${pluralize(shown, "document")} shown${next ? "; more below" : ""}.` : "No documents match.";
  } catch (error) {
    status.textContent = `Could not load the documents: ${error.message}`;
  } finally {
    more.disabled = false;
    document.body.dataset.ready = "true";
  }
}

function show() {
  const params = filters();
  const query = params.toString();
  history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}${window.location.hash}`);
  params.set("page_size", "50");
  load(`${form.dataset.url}?${params}`, true);
}

// Filters given in the address (links from the annotators' table, a shared view).
for (const [name, value] of new URLSearchParams(window.location.search)) {
  const field = /** @type {HTMLSelectElement|null} */ (form.elements.namedItem(name));
  if (field) field.value = value;
}
form.addEventListener("submit", (event) => {
  event.preventDefault();
  show();
});
for (const select of form.querySelectorAll("select")) select.addEventListener("change", show);
more.addEventListener("click", () => next && load(next, false));
show();

const jobs = /** @type {HTMLElement|null} */ (document.querySelector("ul.jobs"));
for (const item of /** @type {NodeListOf<HTMLElement>} */ (jobs ? jobs.querySelectorAll("li[data-job]") : [])) {
  if (item.dataset.status !== "pending" && item.dataset.status !== "running") continue;
  const state = /** @type {HTMLElement} */ (item.querySelector(".job-state"));
  followJob(String(jobs?.dataset.jobUrl), Number(item.dataset.job), (job) => {
    state.textContent = job.worker_lost
      ? `its worker stopped at ${job.progress} of ${job.total}; another takes it over`
      : `${job.status}${job.total ? `, ${job.progress} of ${job.total}` : ""}`;
  }).catch((error) => {
    state.textContent = `progress unknown: ${error.message}`;
  });
}
