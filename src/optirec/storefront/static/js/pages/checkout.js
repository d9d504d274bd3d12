// Checkout: no payment in this demo; placing the order sends a purchase signal per line, with price and quantity
// (and the list that led to it), and waits until the API has stored them.

import { customer } from "../api.js";
import { flush, pending, track } from "../signals.js";
import { cart, emptyCart } from "../store.js";
import { h, money, notice, render } from "../ui.js";

export async function show() {
  const lines = cart();
  if (!lines.length) {
    render("Checkout", h("h1", {}, "Checkout"), h("p", {}, "Your cart is empty. ", h("a", { href: "/shop/" }, "Back to the shop")));
    return;
  }
  const total = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
  const form = h("form", { class: "checkout" },
    h("table", {},
      h("caption", { class: "visually-hidden" }, "Your order"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Product"), h("th", { scope: "col" }, "Quantity"), h("th", { scope: "col" }, "Price"))),
      h("tbody", {}, lines.map((l) => h("tr", {}, h("th", { scope: "row" }, l.name), h("td", {}, String(l.quantity)), h("td", {}, money(l.price * l.quantity, l.currency))))),
      h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 2 }, "Total"), h("td", {}, money(total, lines[0].currency))))),
    customer() ? null : h("p", { class: "hint" }, h("a", { href: "/shop/sign-in?next=/shop/checkout" }, "Sign in"), " to keep this order with your account, or check out as a guest."),
    h("p", { class: "hint" }, "This is a demo shop: no payment is taken and nothing is sent."),
    h("button", { type: "submit", class: "button" }, "Place order"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelector("button").disabled = true;
    for (const line of lines) {
      await track("purchase", line, { recommendationId: line.recommendation_id, quantity: line.quantity, price: line.price, page: "checkout" });
    }
    await flush();
    if (pending()) {
      form.querySelector("button").disabled = false;
      form.prepend(notice("We could not reach the shop to place your order. Try again in a moment.", "error"));
      return;
    }
    emptyCart();
    render("Order placed", h("h1", { tabindex: "-1", id: "done" }, "Thank you: your order is placed"),
      h("p", {}, `${lines.length} ${lines.length === 1 ? "product" : "products"}, ${money(total, lines[0].currency)}. No payment was taken.`),
      h("p", {}, h("a", { href: "/shop/" }, "Back to the shop")));
    document.getElementById("done").focus();
  });
  render("Checkout", h("h1", {}, "Checkout"), form);
}
