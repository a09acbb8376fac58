// @ts-check
// The agreement page's Recompute button.
import "./lib/forms.js";
import { $ } from "./lib/dom.js";
import { recomputeButton } from "./lib/jobs.js";

recomputeButton($("recompute"), $("job-status"), "documents");
