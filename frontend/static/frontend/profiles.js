// The source-profile pages' Recompute button: starts the job, shows its progress, reloads when done.
import { api } from "./api.js";
import { followJob } from "./jobs.js";

const button = document.getElementById("recompute-profiles");
const status = document.getElementById("job-status");

button?.addEventListener("click", async () => {
  button.disabled = true;
  try {
    const { project, basis } = button.dataset;
    const { data } = await api.post(`/api/v1/projects/${project}/profiles/?basis=${encodeURIComponent(basis)}`);
    const job = await followJob(data.id, (j) => {
      status.textContent = `${j.status}: ${j.progress} of ${j.total || "?"} sources`;
    });
    if (job.status === "succeeded") window.location.reload();
    else status.textContent = `Failed: ${job.error}`;
  } catch (error) {
    status.textContent = error.message;
  } finally {
    button.disabled = false;
  }
});
