// Find a product by id, or by words of its name or brand, and open its inspector.

import { get, requireAdmin } from "../api.js";
import { count, h, notice, render, table } from "../ui.js";

export function productSearch(q = "") {
  return h("form", { class: "search", role: "search", action: "/admin/products", method: "get" },
    h("label", { for: "product-q" }, "Product id, name or brand"),
    h("p", { class: "hint", id: "product-q-hint" }, "An exact id, or a word of the name or brand, for example “round”."),
    h("div", { class: "search-row" },
      h("input", { id: "product-q", name: "q", value: q, maxlength: "100", autocomplete: "off", type: "search", "aria-describedby": "product-q-hint" }),
      h("button", { class: "button", type: "submit" }, "Find")));
}

export async function show() {
  const q = (new URLSearchParams(location.search).get("q") || "").trim().slice(0, 100);
  if (!q) {
    await requireAdmin();
    render("Products", h("h1", {}, "Products"),
      h("p", { class: "lead" }, "Find a product to see its attributes and drawing, how it performs, what is similar and what goes with it, and which of the shop's customers it fits."),
      productSearch());
    return;
  }
  const matches = await get(`/api/admin/products?q=${encodeURIComponent(q)}`);
  if (matches.length === 1 && matches[0].id === q) {
    location.replace(`/admin/products/${encodeURIComponent(q)}`);
    return;
  }
  render("Products", h("h1", {}, "Products"), productSearch(q),
    matches.length
      ? table(`${count(matches.length)} product${matches.length === 1 ? "" : "s"} found`, ["Product", "Brand", "Category", "Stock", "Id"],
        matches.map((p) => [h("a", { href: `/admin/products/${encodeURIComponent(p.id)}` }, p.name), p.brand || "—", p.category,
          p.active ? count(p.stock) : "inactive", h("code", {}, p.id)]), { numeric: [3] })
      : notice(`No product has the id “${q.slice(0, 60)}” or those words in its name or brand.`));
}
