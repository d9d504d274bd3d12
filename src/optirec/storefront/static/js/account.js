// Signing in and registering: the anonymous session's token goes with the request, so what the shopper did before
// signing in becomes the customer's.

import { ApiError, customer, forget, signedIn, who } from "./api.js";
import { flush } from "./signals.js";
import { emptyCart, saveWearer } from "./store.js";

// The API's own errors, in the shape `ui.showErrors` takes (`field` → the input's id).
export function fieldErrors(error, known) {
  const errors = error.details
    .map((d) => ({ id: known.includes(d.field) ? d.field : null, message: d.message }))
    .filter((e) => e.message);
  return errors.length ? errors : [{ id: known[0] ?? null, message: error.message }];
}

async function authenticate(path, init, email) {
  await flush(); // the anonymous signals are stored before the session is handed to the account
  const headers = await who();
  delete headers.Authorization;
  const response = await fetch(path, { method: "POST", ...init, headers: { ...init.headers, ...headers } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body?.error);
  signedIn(body, email);
  saveWearer(null); // a customer's stored profile applies from now on
  return customer();
}

export function signIn(email, password) {
  const form = new URLSearchParams({ username: email, password });
  return authenticate("/api/auth/token", { body: form, headers: {} }, email);
}

export function register(email, password) {
  return authenticate("/api/auth/register", { body: JSON.stringify({ email, password }), headers: { "Content-Type": "application/json" } }, email);
}

// Where to go after signing in: a page of this shop only.
export function next() {
  const target = new URLSearchParams(location.search).get("next") || "/shop/";
  return target.startsWith("/shop/") && !target.startsWith("//") ? target : "/shop/";
}

// Sign out: a fresh start for whoever uses this browser next (no account, session, cart or measurements).
export async function signOut() {
  await flush(); // what was done while signed in is stored as theirs
  forget();
  emptyCart();
  saveWearer(null);
  location.assign("/shop/?signed_out=1");
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

// The e-mail and password checks a shopper should hear before the API's own.
export function checkCredentials(email, password) {
  const errors = [];
  if (!email) errors.push({ id: "email", message: "Enter your e-mail address" });
  else if (!EMAIL.test(email)) errors.push({ id: "email", message: "Enter an e-mail address in the correct format, like name@example.com" });
  if (!password) errors.push({ id: "password", message: "Enter your password" });
  return errors;
}
