// The source-profile pages' Recompute button.
import "./forms.js";
import { recomputeButton } from "./jobs.js";

const button = document.getElementById("recompute-profiles");
recomputeButton(
  button,
  document.getElementById("job-status"),
  () => `/api/v1/projects/${button.dataset.project}/profiles/?basis=${encodeURIComponent(button.dataset.basis)}`,
  "sources",
);
