// A recommendation list as the console shows it: each product (linked to its inspector) with its reasons, and how
// many products each filter removed before ranking.

import { count, h, money, scroller } from "./ui.js";

const FILTERS = {
  inactive: "Not active in the catalog",
  out_of_stock: "Out of stock",
  rx_capable: "Cannot take prescription lenses",
  sphere: "Sphere outside the frame's range",
  cylinder: "Cylinder above the frame's limit",
  rim_power: "Too strong for the rim type",
  multifocal: "Too short for progressive lenses",
  lens_width_power: "Lens too wide for a strong prescription",
  decentration: "Lenses cannot be centred on the pupils",
  face_width: "Wrong width for the face",
  request_filters: "The request's own filters",
  excluded: "Excluded by the request (or on screen)",
  already_bought: "Already bought",
};

// A filter's name as the list answers it (`out_of_stock`, `rule:face_width`…), in words.
function label(name) {
  const key = name.replace(/^rule:/, "");
  return FILTERS[key] || key.replaceAll("_", " ");
}

export const productLink = (p) => h("a", { href: `/admin/products/${encodeURIComponent(p.id)}` }, p.name);

export function items(list, caption) {
  if (!list.items.length) return h("p", { class: "empty" }, "No product passes every filter for this list.");
  return h("ol", { class: "items", "aria-label": caption },
    list.items.map((item) => h("li", { dataset: { product: item.product.id } },
      h("span", { class: "item-name" }, productLink(item.product)),
      h("span", { class: "muted" }, ` ${item.product.brand || ""} · ${money(item.product.price)} ${item.product.currency}`),
      item.reasons.length ? h("ul", { class: "reasons" }, item.reasons.map((r) => h("li", {}, r))) : null)));
}

export function filterCounts(list) {
  const rows = Object.entries(list.filtered).filter(([, n]) => n > 0);
  if (!rows.length) return h("p", { class: "muted" }, "No filter removed any product.");
  return scroller("Products removed by each filter", h("table", { class: "filters" },
    h("caption", {}, "Products removed by each filter, in the order they apply"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Filter"), h("th", { scope: "col", class: "num" }, "Products removed"))),
    h("tbody", {}, rows.map(([name, n]) => h("tr", { dataset: { filter: name } },
      h("th", { scope: "row" }, label(name)), h("td", { class: "num" }, count(n)))))));
}

export function listNote(list) {
  const model = list.model_version === "popularity" ? "popularity (no model trained yet)" : `model version ${list.model_version}`;
  return h("p", { class: "hint" }, `Built by ${model}.`, list.fallback_reason ? ` ${list.fallback_reason}` : "");
}
