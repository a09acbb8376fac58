// @ts-check
// The project page: "Start" / "Next document" asks the queue for the caller's next layer; the
// self-placement question, where the project asks it, places the caller in a panel once.
import { api } from "./lib/api.js";
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
