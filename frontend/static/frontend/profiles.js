// @ts-check
// The source-profile pages' Recompute button.
import "./lib/forms.js";
import { $ } from "./lib/dom.js";
import { recomputeButton } from "./lib/jobs.js";

recomputeButton($("recompute-profiles"), $("job-status"), "sources");
