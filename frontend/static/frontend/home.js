// @ts-check
// The projects page: a manager (or staff) starts a new project through the API, then goes to it.
import { apiForm } from "./lib/api-forms.js";
import { fillUrl } from "./lib/urls.js";

const form = /** @type {HTMLFormElement|null} */ (document.getElementById("new-project"));
if (form) {
  apiForm(form, "post", (project) => window.location.assign(fillUrl(String(form.dataset.projectUrl), { id: project.id })));
}
