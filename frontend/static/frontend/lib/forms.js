// @ts-check
// Small form behaviours, wired from script (the Content-Security-Policy forbids inline handlers).

/** A <select data-autosubmit> submits its form as soon as it changes. */
for (const select of /** @type {NodeListOf<HTMLSelectElement>} */ (document.querySelectorAll("select[data-autosubmit]"))) {
  select.addEventListener("change", () => select.form.submit());
}
