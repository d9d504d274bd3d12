// Sign in: the browsing before becomes the customer's.

import { checkCredentials, fieldErrors, next, signIn } from "../account.js";
import { clearErrors, field, h, render, showErrors } from "../ui.js";

export async function show() {
  const form = h("form", { class: "narrow", novalidate: true },
    field({ id: "email", label: "E-mail address", type: "email", attrs: { autocomplete: "email", spellcheck: "false" } }),
    field({ id: "password", label: "Password", type: "password", attrs: { autocomplete: "current-password" } }),
    h("button", { type: "submit", class: "button" }, "Sign in"),
    h("p", {}, "No account yet? ", h("a", { href: `/shop/register${location.search}` }, "Create one")),
    h("p", { class: "hint" }, "What you looked at before signing in becomes part of your account, so your recommendations follow it."));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const email = form.email.value.trim();
    const errors = checkCredentials(email, form.password.value);
    if (errors.length) return showErrors(form, errors);
    try {
      await signIn(email, form.password.value);
    } catch (error) {
      return showErrors(form, error.status === 401 ? [{ id: "email", message: error.message }] : fieldErrors(error, ["email", "password"]));
    }
    location.assign(next());
  });
  render("Sign in", h("h1", {}, "Sign in"), form);
}
