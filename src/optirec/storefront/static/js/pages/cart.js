// Cart: quantities, remove, and "complete the look": what goes with the cart (cases, cloths, clip-ons…).

import { post } from "../api.js";
import { picture } from "../frame.js";
import { track } from "../signals.js";
import { addToCart, cart, setQuantity } from "../store.js";
import { card, cards, h, money, notice, productHref, render } from "../ui.js";
import { forRequest } from "../wearer.js";

export async function show() {
  const lines = cart();
  const look = h("section", { class: "look", "aria-labelledby": "look-title" });
  const status = h("p", { class: "visually-hidden", role: "status", id: "cart-status" });
  if (!lines.length) {
    render("Your cart", h("h1", {}, "Your cart"), status, h("p", {}, "Your cart is empty. ", h("a", { href: "/shop/frames?category=eyeglasses" }, "Browse glasses")));
    return;
  }
  const total = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
  render("Your cart",
    h("h1", {}, "Your cart"),
    status,
    h("ul", { class: "cart-lines", "aria-label": "Products in your cart" }, lines.map((line) => cartLine(line, status))),
    h("p", { class: "total" }, "Total ", h("strong", {}, money(total, lines[0].currency))),
    h("p", {}, h("a", { class: "button", href: "/shop/checkout" }, "Go to checkout")),
    look);
  await completeTheLook(look, lines);
}

function cartLine(line, status) {
  const input = h("input", { id: `qty-${line.id}`, type: "number", min: 0, max: 10, value: line.quantity, class: "input-short" });
  const change = (quantity) => {
    const before = line.quantity;
    if (quantity === before) return;
    setQuantity(line.id, quantity);
    const diff = Math.abs(quantity - before);
    const action = quantity > before ? "add_to_cart" : "remove_from_cart";
    track(action, line, { recommendationId: line.recommendation_id, quantity: diff, price: line.price, page: "cart" });
    status.textContent = quantity ? `${line.name}: quantity ${quantity}.` : `${line.name} removed from your cart.`;
    show();
    document.getElementById("cart-status").textContent = status.textContent;
  };
  const form = h("form", { class: "line-quantity" },
    h("label", { for: input.id }, "Quantity"), input,
    h("button", { type: "submit", class: "button button-secondary" }, "Update"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    change(Math.min(10, Math.max(0, Number.parseInt(input.value, 10) || 0)));
  });
  return h("li", { class: "cart-line", dataset: { productId: line.id } },
    h("span", { class: "line-picture" }, picture(line.product || line)),
    h("div", {},
      h("a", { href: productHref(line.id) }, line.name),
      h("p", { class: "card-price" }, money(line.price, line.currency)),
      form,
      h("button", { type: "button", class: "link-button", onclick: () => change(0) }, `Remove `, h("span", { class: "visually-hidden" }, line.name))));
}

async function completeTheLook(section, lines) {
  section.append(h("h2", { id: "look-title" }, "Complete the look"));
  // With frames in the cart, what completes them: cases, cloths, chains, clip-ons (the shop's accessories).
  const frames = lines.some((l) => (l.product?.category || "accessories") !== "accessories");
  const filters = frames ? { category: "accessories" } : {};
  let list;
  try {
    list = await post("/api/recommendations/complete-the-look", { cart: lines.map((l) => l.id), limit: 4, filters, ...forRequest() });
  } catch (error) {
    section.append(notice(error.message, "error"));
    return;
  }
  section.dataset.recommendationId = list.recommendation_id;
  const items = list.items.map((item) => {
    const add = h("button", { type: "button", class: "button button-secondary" }, "Add to cart", h("span", { class: "visually-hidden" }, `: ${item.product.name}`));
    add.addEventListener("click", () => {
      addToCart(item.product, 1, list.recommendation_id);
      track("add_to_cart", item.product, { recommendationId: list.recommendation_id, quantity: 1, price: item.product.price, page: "cart" });
      show().then(() => document.getElementById("cart-status").textContent = `${item.product.name} added to your cart.`);
    });
    return card(item.product, { recommendationId: list.recommendation_id, reasons: item.reasons.slice(0, 1), action: add });
  });
  section.append(items.length ? cards(items, "Goes with your cart") : h("p", {}, "Nothing to add."));
}
