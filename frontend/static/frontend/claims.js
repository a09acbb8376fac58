// @ts-check
// The claims page: a reviewer names a cluster, rules on it, merges another into it or splits
// ticked claims off it, each through the API, then the page reloads; the grouping runs again
// as a job.
import { api } from "./lib/api.js";
import { apiForm } from "./lib/api-forms.js";
import { recomputeButton } from "./lib/jobs.js";

const status = /** @type {HTMLElement} */ (document.getElementById("claims-status"));

for (const form of /** @type {NodeListOf<HTMLFormElement>} */ (document.querySelectorAll("form.cluster-review"))) {
  apiForm(form, "patch", () => window.location.reload());
}
for (const form of /** @type {NodeListOf<HTMLFormElement>} */ (document.querySelectorAll("form.cluster-merge"))) {
  apiForm(form, "post", () => window.location.reload());
}
for (const button of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll("button.cluster-split"))) {
  button.addEventListener("click", async () => {
    const section = /** @type {HTMLElement} */ (button.closest("section"));
    const claims = [...section.querySelectorAll("input.split-claim:checked")].map((box) => Number(/** @type {HTMLInputElement} */ (box).value));
    if (!claims.length) {
      status.textContent = "Tick the claims to split off first.";
      return;
    }
    try {
      await api.post(String(button.dataset.url), { claims });
      window.location.reload();
    } catch (error) {
      status.textContent = error.message;
    }
  });
}
recomputeButton(document.getElementById("refresh-claims"), status, "claims embedded");
