// The admin API with an administrator's access token. The token lives in `sessionStorage`: this tab only, gone when
// the tab closes or the token expires (OWASP: no long-lived token in `localStorage`); no cookie is ever set, so no
// other site's page can make the browser send it (no cross-site request forgery to guard against).

const KEY = "optirec.console"; // {token, email, expires}

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `optirec could not answer (HTTP ${status}).`);
    this.status = status;
    this.code = error?.code || "http_error";
  }
}

export function admin() {
  try {
    const held = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return held && held.expires > Date.now() ? held : null;
  } catch {
    return null;
  }
}

export function signedIn(answer, email) {
  sessionStorage.setItem(KEY, JSON.stringify({
    token: answer.access_token, email, expires: Date.now() + answer.expires_in * 1000,
  }));
}

export function forget() {
  sessionStorage.removeItem(KEY);
}

async function send(method, path, { form, json, accept } = {}) {
  const held = admin();
  const headers = held ? { Authorization: `Bearer ${held.token}` } : {};
  if (accept) headers.Accept = accept;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) body = new URLSearchParams(form);
  let response;
  try {
    response = await fetch(path, { method, headers, body });
  } catch {
    throw new ApiError(0, { code: "network", message: "optirec could not be reached. Check that it is running." });
  }
  if (!response.ok) {
    const answer = await response.json().catch(() => null);
    if (response.status === 401 && held) forget(); // expired: the page asks to sign in again
    throw new ApiError(response.status, answer?.error);
  }
  return response;
}

export async function call(method, path, options = {}) {
  const response = await send(method, path, options);
  return response.status === 204 ? null : response.json();
}

export const get = (path) => call("GET", path);
export const post = (path, json) => call("POST", path, { json });
export const del = (path) => call("DELETE", path);

// A chart the server drew (SVG text), parsed as SVG (never as HTML) and adopted into this page.
export async function chart(path) {
  const text = await (await send("GET", path, { accept: "image/svg+xml" })).text();
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = parsed.documentElement;
  if (svg.nodeName !== "svg") throw new ApiError(500, { message: "The chart could not be read." });
  return document.importNode(svg, true);
}

// For a page that asks the API nothing until the operator searches: an administrator's cheapest endpoint, so that
// any other account's token is refused here as on every other page (403: the "administrators only" page).
export const requireAdmin = () => get("/api/admin/models/training");
