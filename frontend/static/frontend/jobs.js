// Follows a background job (JobRun) until it ends, reporting its progress.
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
