// The "administrators only" page: a customer's (or any other non-administrator's) account signed in. Its token is
// dropped at once: it opens nothing here.

import { forget } from "./api.js";
import { h, render } from "./ui.js";

export function administratorsOnly(email) {
  forget();
  document.querySelector("[data-account]")?.replaceChildren();
  render("Administrators only",
    h("h1", {}, "Administrators only"),
    h("p", { class: "lead" }, email
      ? `${email} is not an administrator's account, so it cannot open the console.`
      : "This account is not an administrator's, so it cannot open the console."),
    h("p", {}, "The console shows and changes what the whole shop serves; only the shop's administrators may use it. " +
      "Sign in with an administrator's account instead (an administrator is created on the server with ",
      h("code", {}, "optirec admin create"), ")."),
    h("p", {}, h("a", { class: "button", href: "/admin/sign-in" }, "Sign in as an administrator")),
    h("p", {}, h("a", { href: "/shop/" }, "Go to the shop")));
  document.body.dataset.refused = "true";
}
