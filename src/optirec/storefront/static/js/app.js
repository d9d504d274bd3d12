// The page shell's entry: the header (cart count, sign in or out), then the page's own module.

import { signOut } from "./account.js";
import { customer, session } from "./api.js";
import { flush, pending } from "./signals.js";
import { cart } from "./store.js";
import { h, main, notice } from "./ui.js";

function cartCount() {
  const count = cart().reduce((n, line) => n + line.quantity, 0);
  for (const node of document.querySelectorAll("[data-cart-count]")) node.textContent = String(count);
}

function account() {
  const slot = document.querySelector("[data-account]");
  const signed = customer();
  if (!signed) {
    slot.replaceChildren(h("a", { href: "/shop/sign-in" }, "Sign in"));
    return;
  }
  slot.replaceChildren(h("button", { type: "button", class: "link-button", onclick: signOut }, "Sign out"));
}

function current() {
  const page = document.body.dataset.page;
  for (const link of document.querySelectorAll(".nav a")) {
    const here = new URL(link.href).pathname === location.pathname && new URL(link.href).search === location.search;
    if (here) link.setAttribute("aria-current", "page");
  }
  return page;
}

async function start() {
  session(); // opened (or renewed) while the page's module loads: the page's first call needs it
  cartCount();
  account();
  document.addEventListener("optirec:cart", cartCount);
  addEventListener("storage", cartCount);
  if (pending()) flush().catch(() => {}); // an earlier page's signals whose answer never came: same event_ids
  const page = current();
  try {
    const module = await import(`./pages/${page}.js`);
    await module.show();
  } catch (error) {
    console.error(error);
    main().replaceChildren(h("h1", {}, "Something went wrong"), notice(error.message || String(error), "error"));
  }
  document.body.dataset.ready = "true"; // every part the API fills is filled (tests and the benchmark wait for it)
}

start();
