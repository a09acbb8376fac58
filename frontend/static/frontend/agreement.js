// The agreement page's Recompute button.
import "./forms.js";
import { recomputeButton } from "./jobs.js";

const button = document.getElementById("recompute");
recomputeButton(
  button,
  document.getElementById("job-status"),
  () => `/api/v1/projects/${button.dataset.project}/agreement/?resolution=${button.dataset.resolution}`,
  "documents",
);
