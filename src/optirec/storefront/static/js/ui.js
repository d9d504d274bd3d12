// Small DOM helpers shared by the pages: an element builder, prices, product cards, and GOV.UK-style errors.

import { picture } from "./frame.js";

// h("a", {href: "/x", class: "y"}, "text", child…): an element; `on*` attributes become listeners.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

const formats = new Map(); // one formatter per currency: making one costs more than a page of prices

export function money(price, currency = "EUR") {
  if (!formats.has(currency)) formats.set(currency, new Intl.NumberFormat("en-GB", { style: "currency", currency }));
  return formats.get(currency).format(Number(price));
}

export function main() {
  return document.getElementById("main");
}

// Replace the page's content and title; focus stays where the browser put it.
export function render(title, ...content) {
  document.title = `${title} · optirec eyewear`;
  main().replaceChildren(...content.filter((c) => c !== null && c !== undefined));
}

export function productHref(id, recommendationId) {
  const url = `/shop/frames/${encodeURIComponent(id)}`;
  return recommendationId ? `${url}?rec=${encodeURIComponent(recommendationId)}` : url;
}

// A product card: picture, name, brand, price, and a list's reasons. The whole card is one link.
export function card(product, { recommendationId, reasons = [], action } = {}) {
  const link = h("a", { class: "card-link", href: productHref(product.id, recommendationId) },
    h("span", { class: "card-picture" }, picture(product)),
    h("span", { class: "card-name" }, product.name));
  return h("li", { class: "card", dataset: { productId: product.id } },
    link,
    h("p", { class: "card-meta" }, [product.brand, product.shape, product.colour].filter(Boolean).join(" · ")),
    h("p", { class: "card-price" }, money(product.price, product.currency)),
    reasons.length ? h("ul", { class: "reasons" }, reasons.map((r) => h("li", {}, r))) : null,
    action || null);
}

export function cards(items, label) {
  return h("ul", { class: "cards", "aria-label": label }, items);
}

export function notice(text, kind = "info") {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

// GOV.UK-style errors: a summary at the top linking to each field, and the message beside the field itself.
export function showErrors(form, errors) {
  clearErrors(form);
  if (!errors.length) return;
  const items = errors.map(({ id, message }) =>
    h("li", {}, id ? h("a", { href: `#${id}` }, message) : message));
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: "-1", "aria-labelledby": "error-summary-title" },
    h("h2", { id: "error-summary-title" }, "There is a problem"),
    h("ul", {}, items));
  form.prepend(summary);
  for (const { id, message } of errors) {
    const field = id && document.getElementById(id);
    if (!field) continue;
    const group = field.closest(".field") || field.parentElement;
    group.classList.add("field-error");
    const note = h("p", { class: "error-message", id: `${id}-error` }, h("span", { class: "visually-hidden" }, "Error: "), message);
    field.before(note);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", [field.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" "));
  }
  summary.focus();
}

export function clearErrors(form) {
  form.querySelector(".error-summary")?.remove();
  for (const note of form.querySelectorAll(".error-message")) {
    const field = document.getElementById(note.id.replace(/-error$/, ""));
    if (field) {
      field.removeAttribute("aria-invalid");
      const rest = (field.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== note.id);
      if (rest.length) field.setAttribute("aria-describedby", rest.join(" "));
      else field.removeAttribute("aria-describedby");
    }
    note.remove();
  }
  for (const group of form.querySelectorAll(".field-error")) group.classList.remove("field-error");
}

// A labelled input in a GOV.UK-style field: label, optional hint, the input.
export function field({ id, label, hint, type = "text", value = "", attrs = {} }) {
  const hintNode = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    hintNode,
    h("input", { id, name: id, type, value: value ?? "", "aria-describedby": hint ? `${id}-hint` : null, ...attrs }));
}
