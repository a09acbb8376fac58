// @ts-check
// Background jobs (JobRun) seen from a page: follow one until it ends; wire a Recompute button.
import { api } from "./api.js";
import { fillUrl } from "./urls.js";

/**
 * @param {string} jobUrl the job's URL template, {id} for its id
 * @param {number} jobId
 * @param {(job: any) => void} onProgress called after every poll
 * @returns {Promise<any>} the finished job (status "succeeded" or "failed")
 */
export async function followJob(jobUrl, jobId, onProgress) {
  for (let delay = 500; ; delay = Math.min(delay * 1.5, 3000)) {
    const { data: job } = await api.get(fillUrl(jobUrl, { id: jobId }));
    onProgress(job);
    if (job.status === "succeeded" || job.status === "failed") return job;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * A button that starts a recompute (a POST to its data-url answers 202 with a job), shows the
 * job's progress in `status` and reloads the page when it succeeds. The button's data-job-url
 * is the job's URL template.
 * @param {HTMLElement|null} button
 * @param {HTMLElement} status
 * @param {string} unit what the progress counts, e.g. "documents"
 */
export function recomputeButton(button, status, unit) {
  if (!(button instanceof HTMLButtonElement)) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { data } = await api.post(String(button.dataset.url));
      const job = await followJob(String(button.dataset.jobUrl), data.id, (j) => {
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
