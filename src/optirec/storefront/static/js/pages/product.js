// Product page: the frame, its measurements, the fit panel for this shopper, "similar frames that fit you", and
// add to cart. Opening it sends a view; one opened from a list carries that list's recommendation_id.

import { customer, get, post } from "../api.js";
import { picture } from "../frame.js";
import { track } from "../signals.js";
import { addToCart } from "../store.js";
import { card, cards, h, money, notice, render } from "../ui.js";
import { forRequest } from "../wearer.js";

const MEASURES = [
  ["lens_width_mm", "Lens width"],
  ["bridge_mm", "Bridge"],
  ["temple_length_mm", "Temple length"],
  ["lens_height_mm", "Lens height"],
  ["frame_width_mm", "Total frame width"],
];

// The recommendation list this page was opened from (`?rec=`), moved off the address into this history entry, so
// that a shared link is no click on that list and a reload is no new view.
function opening() {
  const url = new URL(location.href);
  const state = history.state || {};
  const rec = url.searchParams.get("rec") || state.rec || null;
  url.searchParams.delete("rec");
  history.replaceState({ ...state, rec, viewed: true }, "", url);
  return { rec, first: !state.viewed };
}

export async function show() {
  const id = decodeURIComponent(location.pathname.split("/").pop());
  const { rec, first } = opening();
  let product;
  try {
    product = await get(`/api/catalog/products/${encodeURIComponent(id)}`);
  } catch (error) {
    render("Not found", h("h1", {}, "We could not find that frame"), notice(error.message, "error"),
      h("p", {}, h("a", { href: "/shop/frames" }, "See all frames")));
    return;
  }
  if (first) track("view", product, { recommendationId: rec, page: "product" });
  const fit = h("section", { class: "panel fit", "aria-labelledby": "fit-title" }, h("h2", { id: "fit-title" }, "Will it fit you?"), h("p", {}, "Checking…"));
  const similar = h("section", { "aria-labelledby": "similar-title" }, h("h2", { id: "similar-title" }, "Similar frames that fit you"));
  const added = h("p", { class: "added", role: "status" });
  const buy = h("form", { class: "buy" },
    h("div", { class: "field" },
      h("label", { for: "quantity" }, "Quantity"),
      h("input", { id: "quantity", name: "quantity", type: "number", min: 1, max: 10, value: 1, class: "input-short" })),
    h("button", { type: "submit", class: "button", disabled: !product.active || product.stock < 1 },
      product.active && product.stock > 0 ? "Add to cart" : "Out of stock"),
    added);
  buy.addEventListener("submit", (event) => {
    event.preventDefault();
    const quantity = Math.min(10, Math.max(1, Number.parseInt(buy.quantity.value, 10) || 1));
    addToCart(product, quantity, rec);
    track("add_to_cart", product, { recommendationId: rec, quantity, price: product.price, page: "product" });
    added.replaceChildren(`Added ${quantity} to your cart. `, h("a", { href: "/shop/cart" }, "Go to your cart"));
  });
  render(product.name,
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: `/shop/frames?category=${encodeURIComponent(product.category)}` }, product.category)),
    h("article", { class: "product" },
      h("div", { class: "product-picture" }, picture(product, { title: true })),
      h("div", { class: "product-facts" },
        h("h1", {}, product.name),
        h("p", { class: "brand" }, product.brand || ""),
        h("p", { class: "price" }, money(product.price, product.currency)),
        h("p", {}, product.description),
        buy,
        measurements(product),
        fit)),
    similar);
  await Promise.all([
    fitPanel(fit, product).catch((error) => fit.replaceChildren(h("h2", { id: "fit-title" }, "Will it fit you?"), notice(error.message, "error"))),
    similarFrames(similar, product).catch((error) => similar.append(notice(error.message, "error"))),
  ]);
}

function measurements(p) {
  const rows = MEASURES.filter(([key]) => p[key] != null).map(([key, label]) => [h("dt", {}, label), h("dd", {}, `${p[key]} mm`)]);
  const size = p.lens_width_mm && p.bridge_mm && p.temple_length_mm ? `${p.lens_width_mm}-${p.bridge_mm}-${p.temple_length_mm}` : null;
  if (!rows.length) return null;
  const range = p.rx_capable && p.sphere_min != null && p.sphere_max != null
    ? [h("dt", {}, "Prescriptions"), h("dd", {}, `${dioptres(p.sphere_min)} to ${dioptres(p.sphere_max)}${p.cylinder_max != null ? `, cylinder up to ${p.cylinder_max.toFixed(2)}` : ""}${p.progressive ? ", varifocals" : ""}`)]
    : [h("dt", {}, "Prescriptions"), h("dd", {}, p.rx_capable ? "Yes" : "No prescription lenses")];
  return h("section", { "aria-labelledby": "size-title" },
    h("h2", { id: "size-title" }, "Size"),
    size ? h("p", { class: "hint" }, `Printed inside the temple as ${size}.`) : null,
    h("dl", { class: "measures" }, rows, range, p.rim_type ? [h("dt", {}, "Rim"), h("dd", {}, p.rim_type)] : null,
      p.material ? [h("dt", {}, "Material"), h("dd", {}, p.material)] : null,
      p.colour ? [h("dt", {}, "Colour"), h("dd", {}, p.colour)] : null));
}

function dioptres(value) {
  return value === 0 ? "plano" : `${value > 0 ? "+" : "\u2212"}${Math.abs(value).toFixed(2)}`;
}

async function fitPanel(section, product) {
  const answer = await post(`/api/fit/products/${encodeURIComponent(product.id)}`, forRequest());
  const title = h("h2", { id: "fit-title" }, "Will it fit you?");
  if (answer.wearer === "none" || !answer.rules.some((r) => r.checked)) {
    const href = "/shop/profile";
    section.replaceChildren(title, h("p", {}, customer() ? "Your profile has no prescription or face width yet. " : "We don't know your prescription or face width yet. ",
      h("a", { href }, "Add your measurements"), " and this panel checks the frame against them."));
    return;
  }
  const checked = answer.rules.filter((r) => r.checked);
  const verdict = answer.passed
    ? h("p", { class: "verdict verdict-pass" }, h("span", { "aria-hidden": "true" }, "✓ "), "This frame fits you")
    : h("p", { class: "verdict verdict-fail" }, h("span", { "aria-hidden": "true" }, "✗ "), "This frame does not fit you");
  section.replaceChildren(title, verdict,
    h("ul", { class: "rules" }, checked.map((r) =>
      h("li", { class: r.passed ? "rule-pass" : "rule-fail" },
        h("span", { class: "rule-mark", "aria-hidden": "true" }, r.passed ? "✓" : "✗"),
        h("span", { class: "visually-hidden" }, r.passed ? "Passes: " : "Does not pass: "),
        h("strong", {}, `${r.label}: `), r.reason, r.frame ? h("span", { class: "rule-frame" }, ` (${r.frame})`) : null))),
    h("p", { class: "hint" }, "Checked against ", answer.wearer === "profile" ? "your profile" : "the measurements you gave in this tab", ". ",
      h("a", { href: "/shop/profile" }, "Change them")));
}

async function similarFrames(section, product) {
  const list = await post(`/api/recommendations/similar/${encodeURIComponent(product.id)}`, { limit: 6, ...forRequest() });
  const items = list.items.map((item) => card(item.product, { recommendationId: list.recommendation_id, reasons: item.reasons.slice(0, 2) }));
  section.append(items.length ? cards(items, "Similar frames that fit you") : h("p", {}, "No similar frames fit you."));
  section.dataset.recommendationId = list.recommendation_id;
}
