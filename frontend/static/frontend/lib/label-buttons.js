// @ts-check
// A label's button in the annotation toolbar: its colour, name and key. The annotation page and
// the schema editor's preview draw it with this one function, so the preview is what annotators
// will see.

/**
 * @param {import("./schema.js").Label} label
 * @param {object} options
 * @param {boolean} options.disabled
 * @param {(event: MouseEvent) => void} options.onClick
 * @returns {HTMLButtonElement}
 */
export function labelButton(label, { disabled, onClick }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "label-button";
  button.style.setProperty("--label", label.color);
  button.title = label.description || "";
  button.innerHTML = `<span class="swatch" aria-hidden="true"></span><span></span> <kbd></kbd>`;
  button.children[1].textContent = label.name;
  /** @type {HTMLElement} */ (button.querySelector("kbd")).textContent = label.shortcut || "";
  if (label.shortcut) button.setAttribute("aria-keyshortcuts", label.shortcut);
  // Keep the text selection when the button is pressed.
  button.addEventListener("mousedown", (event) => event.preventDefault());
  button.addEventListener("click", onClick);
  button.disabled = disabled;
  return button;
}
