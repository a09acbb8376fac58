// @ts-check
// A project's schema as the API serves it (GET /projects/{id}/schema/): which attributes a label
// takes, which it requires, and how values read. Pure: no DOM.

/**
 * @typedef {{value: any, description?: string, label?: string}} AttributeValue
 * @typedef {{key: string, name: string, kind: "choice"|"multi"|"boolean"|"target", description: string,
 *   values: AttributeValue[], applies_to: string[], required_for: string[]}} Attribute
 * @typedef {{key: string, name: string, color: string, shortcut?: string, description?: string}} Label
 * @typedef {{name: string, description?: string}} Target
 * @typedef {{labels: Label[], attributes: Attribute[], targets: Target[],
 *   questions?: import("./question-controls.js").Question[]}} Schema
 */

/** @param {Schema} schema @param {string} key @returns {Label|undefined} */
export const labelOf = (schema, key) => schema.labels.find((l) => l.key === key);

/** The attributes a span of `labelKey` takes, in schema order. @param {Schema} schema @param {string} labelKey */
export function attributesFor(schema, labelKey) {
  return schema.attributes.filter((a) => !a.applies_to.length || a.applies_to.includes(labelKey));
}

/** Whether an attribute value is an answer: not missing, not an empty list. @param {any} value */
export const isAnswered = (value) => value !== null && value !== undefined && !(Array.isArray(value) && !value.length);

/** The attributes that are answered. @param {Record<string, any>|null|undefined} attributes */
export function answered(attributes) {
  return Object.fromEntries(Object.entries(attributes || {}).filter(([, v]) => isAnswered(v)));
}

/**
 * The keys of the attributes a span's label requires and it has not answered.
 * @param {Schema} schema @param {{label: string, attributes: Record<string, any>}} span
 */
export function missingRequired(schema, span) {
  return schema.attributes
    .filter((a) => a.required_for.includes(span.label) && !isAnswered(span.attributes[a.key]))
    .map((a) => a.key);
}

/** A value as words: lists joined, stance as "target STANCE", booleans as yes or no. @param {any} value */
export function formatValue(value) {
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? `${v.target} ${v.stance}` : v)).join(", ");
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

/** "evidence: DATA · hedged: yes" for the answered attributes. @param {Record<string, any>|null|undefined} attributes */
export function attributeSummary(attributes) {
  return Object.entries(answered(attributes)).map(([k, v]) => `${k}: ${formatValue(v)}`).join(" · ");
}
