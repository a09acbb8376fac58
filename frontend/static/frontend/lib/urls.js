// @ts-check
// URLs come from the page (rendered by Django from its URL names), never from strings here. A
// template such as "/api/v1/spans/{id}/" is filled in with fillUrl.

/**
 * @param {string} template a path with {name} placeholders
 * @param {Record<string, string|number>} values
 */
export function fillUrl(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    if (!(name in values)) throw new Error(`no value for {${name}} in ${template}`);
    return encodeURIComponent(String(values[name]));
  });
}
