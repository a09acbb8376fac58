// @ts-check
// The annotators page: a manager places a member in a panel (the server records who and when);
// a reviewer or manager starts a competence fit and the page reloads when it is done.
import { api } from "./lib/api.js";
import { recomputeButton } from "./lib/jobs.js";
import { fillUrl } from "./lib/urls.js";

const status = document.getElementById("annotators-status");

for (const select of /** @type {NodeListOf<HTMLSelectElement>} */ (document.querySelectorAll("select.panel-select"))) {
  let saved = select.value;
  select.addEventListener("change", async () => {
    const row = select.closest("tr");
    try {
      await api.patch(fillUrl(String(status.dataset.memberUrl), { user: String(select.dataset.user) }), {
        panel: select.value || null,
      });
      saved = select.value;
      status.dataset.kind = "ok";
      status.textContent = `${row.dataset.annotator}: ${select.value ? `in ${select.selectedOptions[0].textContent}` : "in no panel"}.`;
    } catch (error) {
      select.value = saved;
      status.dataset.kind = "error";
      status.textContent = error.message;
    }
  });
}

recomputeButton(document.getElementById("fit-competence"), status, "documents");
