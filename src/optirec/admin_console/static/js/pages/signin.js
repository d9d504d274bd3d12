// Sign in with an administrator's account (POST /api/auth/token, the same sign-in as every account's), then check
// that it is an administrator's before any page is drawn.

import { ApiError, call, forget, get, signedIn } from "../api.js";
import { administratorsOnly } from "../refused.js";
import { h, notice, render } from "../ui.js";

export async function show(message) {
  const email = h("input", { id: "email", name: "username", type: "email", autocomplete: "username", required: true, spellcheck: "false" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const status = h("div", { class: "form-status" });
  const form = h("form", { class: "signin", novalidate: true },
    status,
    h("div", { class: "field" }, h("label", { for: "email" }, "E-mail address"), email),
    h("div", { class: "field" }, h("label", { for: "password" }, "Password"), password),
    h("button", { class: "button", type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!email.value || !password.value) {
      status.replaceChildren(notice("Enter the administrator's e-mail address and password.", "error"));
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      signedIn(await call("POST", "/api/auth/token", { form: { username: email.value, password: password.value } }), email.value);
      await get("/api/admin/models/training"); // an administrator's endpoint: 403 for any other account
      const here = location.pathname.replace(/\/+$/, "/");
      location.assign(here === "/admin/sign-in" ? "/admin/" : location.pathname + location.search);
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) {
        administratorsOnly(email.value);
        document.body.dataset.ready = "true";
        return;
      }
      forget();
      status.replaceChildren(notice(error.message, "error"));
      status.querySelector(".notice")?.focus?.();
      button.disabled = false;
    }
  });
  render("Sign in",
    h("h1", {}, "Sign in to the console"),
    h("p", { class: "lead" }, "For the shop's administrators: the overview, the models and the audit log."),
    message ? notice(message) : null,
    form,
    h("p", { class: "hint" }, "You stay signed in in this tab only, until the tab closes or your sign-in expires."));
  email.focus();
}
