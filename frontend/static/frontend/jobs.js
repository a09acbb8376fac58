// Background jobs (JobRun) seen from a page: follow one until it ends; wire a Recompute button.
import { api } from "./api.js";

/**
 * @param {number} jobId
 * @param {(job: object) => void} onProgress called after every poll
 * @returns {Promise<object>} the finished job (status "succeeded" or "failed")
 */
export async function followJob(jobId, onProgress) {
  for (let delay = 500; ; delay = Math.min(delay * 1.5, 3000)) {
    const { data: job } = await api.get(`/api/v1/jobs/${jobId}/`);
    onProgress(job);
    if (job.status === "succeeded" || job.status === "failed") return job;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * A button that starts a recompute (POST `url()` answers 202 with a job), shows the job's
 * progress in `status` and reloads the page when it succeeds.
 * @param {HTMLButtonElement|null} button
 * @param {HTMLElement} status
 * @param {() => string} url
 * @param {string} unit what the progress counts, e.g. "documents"
 */
export function recomputeButton(button, status, url, unit) {
  button?.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { data } = await api.post(url());
      const job = await followJob(data.id, (j) => {
        status.textContent = j.worker_lost
          ? `Its worker stopped at ${j.progress} of ${j.total || "?"} ${unit}; another takes it over when one runs.`
          : `${j.status}: ${j.progress} of ${j.total || "?"} ${unit}`;
      });
      if (job.status === "succeeded") window.location.reload();
      else status.textContent = `Failed: ${job.error}`;
    } catch (error) {
      status.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
}
