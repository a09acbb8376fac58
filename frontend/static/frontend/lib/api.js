// @ts-check
// The one place the pages talk to the REST API: JSON in and out, the CSRF token on writes,
// and errors turned into ApiError with the server's message.

export class ApiError extends Error {
  /** @param {number} status @param {any} body */
  constructor(status, body) {
    super(ApiError.describe(body) || `Request failed (${status})`);
    this.status = status;
    this.body = body;
  }

  /** A readable message from a DRF error body: {detail} or {field: [messages]}. */
  static describe(body) {
    if (!body || typeof body !== "object") return "";
    if (typeof body.detail === "string") return body.detail;
    return Object.entries(body)
      .map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`)
      .join("\n");
  }
}

/** Thrown when the server cannot be reached at all (offline, server down). */
export class NetworkError extends Error {}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/**
 * @param {string} method
 * @param {string} url
 * @param {any} [body] JSON, or a FormData of files
 * @returns {Promise<{status: number, data: any}>}
 */
export async function request(method, url, body) {
  const headers = { Accept: "application/json" };
  // A form with files goes as multipart, its boundary set by the browser; anything else as JSON.
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined || form ? body : JSON.stringify(body),
    });
  } catch (error) {
    throw new NetworkError(String(error));
  }
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  if (response.status >= 500) throw new NetworkError(ApiError.describe(data) || `Server error ${response.status}`);
  if (!response.ok) throw new ApiError(response.status, data);
  return { status: response.status, data };
}

export const api = {
  get: (url) => request("GET", url),
  post: (url, body) => request("POST", url, body),
  put: (url, body) => request("PUT", url, body),
  patch: (url, body) => request("PATCH", url, body),
  del: (url, body) => request("DELETE", url, body),
};
