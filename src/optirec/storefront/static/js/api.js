// The public HTTP API, as a shop's frontend calls it: an anonymous session token for every shopper, a customer's
// access token once they sign in, and the one JSON error shape. Nothing here is private to optirec.

const SESSION = "optirec.session"; // {id, token, expires}: the anonymous shopper (POST /api/auth/session)
const CUSTOMER = "optirec.customer"; // {token, id, email, expires}: a signed-in customer (POST /api/auth/token)
const RENEW_MS = 10 * 60 * 1000; // renew a session token this long before it expires

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `The shop could not answer (HTTP ${status}).`);
    this.status = status;
    this.code = error?.code || "http_error";
    this.details = Array.isArray(error?.details) ? error.details : [];
  }
}

function read(key) {
  try {
    const value = JSON.parse(localStorage.getItem(key) || "null");
    return value && value.expires > Date.now() ? value : null;
  } catch {
    return null;
  }
}

function write(key, value) {
  if (value) localStorage.setItem(key, JSON.stringify(value));
  else localStorage.removeItem(key);
}

export function customer() {
  return read(CUSTOMER);
}

export function signedIn(answer, email) {
  write(CUSTOMER, {
    token: answer.access_token,
    id: answer.customer_id,
    email,
    expires: Date.now() + answer.expires_in * 1000,
  });
}

export function forget() {
  // Signing out starts afresh: a new anonymous session, so the next shopper on this browser is someone else.
  write(CUSTOMER, null);
  write(SESSION, null);
}

let opening = null;

// The anonymous session, opened (or renewed while still valid) through POST /api/auth/session.
export function session() {
  const held = read(SESSION);
  if (held && held.expires - Date.now() > RENEW_MS) return Promise.resolve(held);
  if (!opening) {
    opening = openSession(held).finally(() => {
      opening = null;
    });
  }
  return opening;
}

async function openSession(held) {
  const headers = held ? { "X-Session-Token": held.token } : {};
  const response = await fetch("/api/auth/session", { method: "POST", headers });
  if (!response.ok) return held; // keep what we have; the calls that need it will say why they failed
  const body = await response.json();
  const opened = { id: body.session_id, token: body.session_token, expires: Date.now() + body.expires_in * 1000 };
  write(SESSION, opened);
  return opened;
}

// The headers that say who is shopping: the session always, the customer's token when signed in.
export async function who() {
  const headers = {};
  const held = await session();
  if (held) headers["X-Session-Token"] = held.token;
  const signed = customer();
  if (signed) headers.Authorization = `Bearer ${signed.token}`;
  return headers;
}

// One call: `json` or `form` as the body; answers the parsed JSON or throws an ApiError with the API's message.
// `anonymous`: as the anonymous session alone, even when signed in.
export async function call(method, path, { json, form, keepalive = false, anonymous = false } = {}) {
  const headers = await who();
  if (anonymous) delete headers.Authorization;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, keepalive });
  } catch {
    throw new ApiError(0, { code: "network", message: "The shop could not be reached. Check your connection." });
  }
  if (response.status === 401 && headers.Authorization) {
    write(CUSTOMER, null); // expired or erased: carry on as an anonymous shopper
    if (path.startsWith("/api/recommendations") || path.startsWith("/api/fit")) return call(method, path, { json, form, keepalive });
  }
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, answer?.error);
  return answer;
}

export const get = (path) => call("GET", path);
export const post = (path, json) => call("POST", path, { json });
export const del = (path) => call("DELETE", path);
