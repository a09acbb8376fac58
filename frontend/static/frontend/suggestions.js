// @ts-check
// The suggestions page: a manager trains a model; the page follows the job and reloads when done.
import { recomputeButton } from "./lib/jobs.js";

recomputeButton(document.getElementById("train-model"), /** @type {HTMLElement} */ (document.getElementById("suggestions-status")), "steps");
