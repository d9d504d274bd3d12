// The page shell's entry: who is signed in, then the page's own module. No administrator signed in: the sign-in
// form instead of the page. A signed-in account that is not an administrator's: the "administrators only" page.

import { ApiError, admin, forget } from "./api.js";
import { administratorsOnly } from "./refused.js";
import { h, main, notice } from "./ui.js";

function account() {
  const slot = document.querySelector("[data-account]");
  const held = admin();
  if (!held) {
    slot.replaceChildren();
    return;
  }
  slot.replaceChildren(
    h("span", { class: "who" }, held.email),
    h("button", { type: "button", class: "link-button", onclick: signOut }, "Sign out"));
}

function signOut() {
  forget();
  location.assign("/admin/sign-in");
}

function current() {
  for (const link of document.querySelectorAll(".nav a")) {
    const path = new URL(link.href).pathname; // a product's page is under Products
    if (path === location.pathname || (path !== "/admin/" && location.pathname.startsWith(`${path}/`))) link.setAttribute("aria-current", "page");
  }
  return document.body.dataset.page;
}

async function start() {
  account();
  let page = current();
  if (!admin() && page !== "signin") page = "signin"; // the address stays: signing in comes back to it
  try {
    const module = await import(`./pages/${page}.js`);
    await module.show();
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) administratorsOnly(admin()?.email);
    else if (error instanceof ApiError && error.status === 401) {
      forget();
      const module = await import("./pages/signin.js");
      await module.show("Your session has ended: sign in again.");
    } else {
      console.error(error);
      main().replaceChildren(h("h1", {}, "Something went wrong"), notice(error.message || String(error), "error"));
    }
  }
  account();
  document.body.dataset.ready = "true"; // every part the API fills is filled (the tests wait for it)
}

start();
