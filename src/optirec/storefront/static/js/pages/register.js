// Create an account: the browsing before becomes the new customer's.

import { checkCredentials, fieldErrors, next, register } from "../account.js";
import { clearErrors, field, h, render, showErrors } from "../ui.js";

export async function show() {
  const form = h("form", { class: "narrow", novalidate: true },
    field({ id: "email", label: "E-mail address", type: "email", attrs: { autocomplete: "email", spellcheck: "false" } }),
    field({ id: "password", label: "Password", type: "password", hint: "At least 10 characters.", attrs: { autocomplete: "new-password" } }),
    h("button", { type: "submit", class: "button" }, "Create account"),
    h("p", {}, "Already have one? ", h("a", { href: `/shop/sign-in${location.search}` }, "Sign in")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const email = form.email.value.trim();
    const errors = checkCredentials(email, form.password.value);
    if (errors.length) return showErrors(form, errors);
    try {
      await register(email, form.password.value);
    } catch (error) {
      return showErrors(form, error.status === 409 ? [{ id: "email", message: error.message }] : fieldErrors(error, ["email", "password"]));
    }
    location.assign(next());
  });
  render("Create an account", h("h1", {}, "Create an account"), form);
}
