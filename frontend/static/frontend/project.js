// @ts-check
// The project page: "Start" / "Next document" asks the queue for the caller's next layer; the
// self-placement question, where the project asks it, places the caller in a panel once; a
// manager imports files through the same API endpoints scripts use.
import { api, ApiError } from "./lib/api.js";
import { apiForm } from "./lib/api-forms.js";
import { el, pluralize } from "./lib/dom.js";
import { followJob } from "./lib/jobs.js";
import { fillUrl } from "./lib/urls.js";

const button = /** @type {HTMLButtonElement|null} */ (document.getElementById("next-document"));
const status = document.getElementById("queue-status");

if (button) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Finding your next document…";
    try {
      const { status: code, data } = await api.post(String(button.dataset.url));
      if (code === 204) {
        status.textContent = "Nothing left to annotate in this project. Thank you!";
        return;
      }
      window.location.assign(fillUrl(String(button.dataset.annotateUrl), { id: data.id }));
    } catch (error) {
      status.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
}

const panelChoice = /** @type {HTMLFormElement|null} */ (document.getElementById("panel-choice"));
if (panelChoice) {
  panelChoice.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = new FormData(panelChoice).get("panel");
    const panelStatus = document.getElementById("panel-status");
    try {
      await api.post(String(panelChoice.dataset.url), { panel: chosen });
      window.location.reload();
    } catch (error) {
      panelStatus.textContent = error.message;
    }
  });
}

const importForm = /** @type {HTMLFormElement|null} */ (document.getElementById("import-form"));
if (importForm) {
  const kind = /** @type {HTMLSelectElement} */ (importForm.elements.namedItem("kind"));
  const options = /** @type {HTMLElement} */ (document.getElementById("annotation-options"));
  const result = /** @type {HTMLElement} */ (document.getElementById("import-result"));
  kind.addEventListener("change", () => (options.hidden = kind.value !== "annotations"));

  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(importForm);
    const files = /** @type {File[]} */ (fields.getAll("files"));
    const body = new FormData();
    let url;
    if (kind.value === "documents") {
      url = String(importForm.dataset.documentsUrl);
      for (const file of files) body.append("files", file);
    } else {
      url = String(importForm.dataset.annotationsUrl);
      body.append("file", files[0]);
      body.append("format", String(fields.get("format")));
      body.append("annotators", JSON.stringify(namePairs(String(fields.get("annotators") || ""))));
      body.append("placeholders", fields.get("placeholders") ? "true" : "false");
      body.append("status", fields.get("in_progress") ? "in_progress" : "submitted");
    }
    if (fields.get("source")) body.append("source", String(fields.get("source")));
    const button = /** @type {HTMLButtonElement} */ (importForm.querySelector("button[type=submit]"));
    button.disabled = true;
    result.replaceChildren("Uploading…");
    try {
      const { status, data } = await api.post(url, body);
      if (status === 202) {
        const job = await followJob(String(importForm.dataset.jobUrl), data.id, (j) =>
          result.replaceChildren(`Importing: ${j.progress} of ${j.total || "?"}`),
        );
        if (job.status === "failed") throw new ApiError(400, job.result?.errors ? job.result : { detail: job.error });
        showSummary(job.result);
      } else showSummary(data);
    } catch (error) {
      showRefusal(error);
    } finally {
      button.disabled = false;
    }
  });

  /** What an import did, in words. @param {any} summary */
  function showSummary(summary) {
    if (summary.errors?.length) return showRefusal(new ApiError(400, summary));
    const parts =
      "documents_created" in summary
        ? [pluralize(summary.documents_created, "new document"), `${summary.documents_matched} matched`,
            pluralize(summary.layers, "layer"), pluralize(summary.spans, "span")]
        : [pluralize(summary.created, "document"), `${summary.skipped_duplicates} duplicate(s) skipped`];
    result.replaceChildren(el("p", { className: "ok" }, `Imported: ${parts.join(", ")}.`));
  }

  /** Why nothing was imported: each problem with its file, line and field. @param {any} error */
  function showRefusal(error) {
    const body = error instanceof ApiError ? error.body : null;
    const issues = Array.isArray(body?.errors) ? body.errors : [];
    result.replaceChildren(
      el("p", { className: "error" }, issues.length ? "Nothing was imported:" : `Nothing was imported: ${error.message}`),
      issues.length
        ? el("ul", { className: "issues" }, ...issues.map((/** @type {any} */ i) =>
            el("li", {}, [i.file + (i.line ? `:${i.line}` : ""), i.field, i.message].filter(Boolean).join(": "))))
        : null,
    );
  }
}

/**
 * "alice=alice.smith" lines as {"alice": "alice.smith"}; blank lines skipped.
 * @param {string} text @returns {Record<string, string>}
 */
function namePairs(text) {
  /** @type {Record<string, string>} */
  const pairs = {};
  for (const line of text.split("\n")) {
    const at = line.lastIndexOf("=");
    if (at > 0 && line.slice(at + 1).trim()) pairs[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return pairs;
}

// The export is a plain GET download; filters left blank are left out of the address.
const exportForm = /** @type {HTMLFormElement|null} */ (document.getElementById("export-form"));
if (exportForm) {
  exportForm.addEventListener("submit", () => {
    const blanks = [...exportForm.elements].filter((field) => field instanceof HTMLSelectElement || field instanceof HTMLInputElement)
      .filter((field) => /** @type {HTMLInputElement} */ (field).value === "" && !field.disabled);
    for (const field of blanks) /** @type {HTMLInputElement} */ (field).disabled = true;
    // Enabled again once the browser has read the form, so the next download starts from it.
    setTimeout(() => blanks.forEach((field) => { /** @type {HTMLInputElement} */ (field).disabled = false; }));
  });
}

const settings = /** @type {HTMLFormElement|null} */ (document.getElementById("project-settings"));
if (settings) apiForm(settings, "patch", () => window.location.reload());

// Publishing the scorecards: PUT publishes (or changes the basis), DELETE takes them down.
const publish = /** @type {HTMLFormElement|null} */ (document.getElementById("publish-form"));
if (publish) {
  apiForm(publish, "put", () => window.location.reload());
  document.getElementById("unpublish")?.addEventListener("click", async () => {
    if (!window.confirm("Take the public scorecards down? Their address answers 404 at once.")) return;
    try {
      await api.del(String(publish.dataset.url));
      window.location.reload();
    } catch (error) {
      /** @type {HTMLElement} */ (publish.querySelector("[role=status]")).textContent = error.message;
    }
  });
}

// The guidelines as annotators will read them, rendered by the server's one Markdown renderer.
const previewButton = /** @type {HTMLButtonElement|null} */ (document.getElementById("guidelines-preview"));
if (previewButton) {
  previewButton.addEventListener("click", async () => {
    const box = /** @type {HTMLElement} */ (document.getElementById("guidelines-rendered"));
    const text = /** @type {HTMLTextAreaElement} */ (document.getElementById("ps-guidelines")).value;
    try {
      const { data } = await api.post(String(previewButton.dataset.url), { text });
      box.innerHTML = data.html; // cleaned by the server's allow-list, as the guidelines page is
    } catch (error) {
      box.textContent = `No preview: ${error.message}`;
    }
    box.hidden = false;
  });
}

// The manager's members panel: every change goes to the members and invitations endpoints.
const members = /** @type {HTMLElement|null} */ (document.querySelector("table.members"));
if (members) {
  const status = /** @type {HTMLElement} */ (document.getElementById("members-status"));
  const memberUrl = (/** @type {string} */ user) => fillUrl(String(members.dataset.memberUrl), { user });
  const refused = (/** @type {any} */ error) => {
    status.dataset.kind = "error";
    status.textContent = error.message;
  };
  for (const select of /** @type {NodeListOf<HTMLSelectElement>} */ (members.querySelectorAll("select.member-role"))) {
    const saved = select.value;
    select.addEventListener("change", async () => {
      try {
        await api.patch(memberUrl(String(select.dataset.user)), { role: select.value });
        window.location.reload();
      } catch (error) {
        select.value = saved;
        refused(error);
      }
    });
  }
  for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (members.querySelectorAll("button.member-remove"))) {
    button.addEventListener("click", async () => {
      if (!window.confirm(`Remove ${button.dataset.name} from the project? Their unsubmitted layers are released.`)) return;
      try {
        await api.del(memberUrl(String(button.dataset.user)));
        window.location.reload();
      } catch (error) {
        refused(error);
      }
    });
  }
  const list = /** @type {HTMLElement|null} */ (document.querySelector("ul.invitations"));
  for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll("button.invitation-revoke"))) {
    button.addEventListener("click", async () => {
      try {
        await api.del(fillUrl(String(list?.dataset.invitationUrl), { id: String(button.dataset.id) }));
        window.location.reload();
      } catch (error) {
        refused(error);
      }
    });
  }
  apiForm(/** @type {HTMLFormElement} */ (document.getElementById("add-member")), "post", () => window.location.reload());
  apiForm(/** @type {HTMLFormElement} */ (document.getElementById("invite")), "post", (invitation) => {
    const link = /** @type {HTMLElement} */ (document.getElementById("invite-link"));
    /** @type {HTMLOutputElement} */ (link.querySelector("output")).textContent = new URL(invitation.url, window.location.href).href;
    link.hidden = false;
  });
}
