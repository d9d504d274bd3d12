// The product inspector: attributes and the storefront's drawing of the frame, how it performs, whom among the
// shop's customers it fits, what is similar and what goes with it.

import { ApiError, get } from "../api.js";
import { filterCounts, items, listNote } from "../lists.js";
import { count, h, money, notice, percent, render, stat, table } from "../ui.js";
import { productSearch } from "./products.js";

const RULES = {
  rx_capable: "Cannot take prescription lenses",
  sphere: "Sphere outside the frame's range",
  cylinder: "Cylinder above the frame's limit",
  rim_power: "Prescription too strong for the rim",
  multifocal: "Too short for their progressive lenses",
  lens_width_power: "Lens too wide for their strong prescription",
  decentration: "Lenses cannot be centred on their pupils",
  face_width: "Wrong width for their face",
};
const mm = (v) => (v === null || v === undefined ? "—" : `${v} mm`);
const dioptres = (v) => (v === null || v === undefined ? "—" : `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.abs(v).toFixed(2)} D`);

async function picture(p) {
  try {
    const frame = await import("/shop/static/js/frame.js"); // the storefront's drawing, when the storefront is served
    return h("figure", { class: "frame-box" }, frame.drawing({ ...p, image_url: null }, true), h("figcaption", {}, "Drawn from its measurements"));
  } catch {
    return null;
  }
}

function attributes(p) {
  const rows = [
    ["Category", p.category], ["Brand", p.brand || "—"], ["Shape", p.shape || "—"], ["Material", p.material || "—"],
    ["Colour", p.colour || "—"], ["Rim", p.rim_type || "—"], ["Lens width × height", `${mm(p.lens_width_mm)} × ${mm(p.lens_height_mm)}`],
    ["Bridge", mm(p.bridge_mm)], ["Temple length", mm(p.temple_length_mm)], ["Frame width", mm(p.frame_width_mm)],
    ["Prescription lenses", p.rx_capable ? `Yes: sphere ${dioptres(p.sphere_min)} to ${dioptres(p.sphere_max)}, cylinder up to ${dioptres(p.cylinder_max)}` : "No"],
    ["Progressive lenses", p.progressive ? "Yes" : "No"], ["Price", `${money(p.price)} ${p.currency}`],
    ["Stock", p.active ? count(p.stock) : "Inactive (no longer listed or recommended)"],
  ];
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function performance(perf) {
  return h("dl", { class: "stats" },
    stat("Views", count(perf.views)),
    stat("Added to cart", count(perf.add_to_carts)),
    stat("Purchases", count(perf.purchases)),
    stat("Lists it came through", count(perf.attributed_lists), "served lists that led to a signal on it"));
}

function fit(f) {
  const part = h("section", { "aria-labelledby": "fit-title", class: "fits" }, h("h2", { id: "fit-title" }, "Who it fits"));
  if (!f.measured) {
    part.append(notice(`None of the ${count(f.customers)} customers has a prescription or a face width on file: the rules cannot tell whom it fits.`));
    return part;
  }
  part.append(
    h("p", { class: "big-share", id: "fit-share" }, h("strong", {}, percent(f.share)),
      ` of the customers with a prescription or face width on file: ${count(f.fits)} of ${count(f.measured)} (${count(f.customers)} customers in all).`),
    h("meter", { min: "0", max: "1", value: String(f.share), "aria-label": "Share of measured customers it fits" }));
  const failing = Object.entries(f.failing).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (failing.length) {
    part.append(table("Why it does not fit the others (a customer can fail two rules)", ["Rule", "Customers"],
      failing.map(([rule, n]) => [RULES[rule] || rule, count(n)]), { numeric: [1] }));
  }
  return part;
}

async function listPart(title, path, hint) {
  const id = title.toLowerCase().replaceAll(" ", "-");
  const part = h("section", { "aria-labelledby": id }, h("h2", { id }, title), h("p", { class: "hint" }, hint));
  try {
    const list = await get(path);
    part.append(listNote(list), items(list, title), filterCounts(list));
  } catch (error) {
    part.append(notice(error.message, "error"));
  }
  return part;
}

export async function show() {
  const id = decodeURIComponent(location.pathname.slice("/admin/products/".length));
  let found;
  try {
    found = await get(`/api/admin/products/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 422)) {
      render("Product", h("h1", {}, "Product not found"), notice(error.message, "error"), productSearch());
      return;
    }
    throw error;
  }
  const p = found.product;
  const path = `/api/admin/products/${encodeURIComponent(p.id)}`;
  const [drawing, similar, goes] = await Promise.all([
    picture(p),
    listPart("Similar products", `${path}/similar?limit=6`, "As a shopper with no profile sees them beside this product (not logged as served)."),
    listPart("What goes with it", `${path}/goes-with?limit=6`, "As a cart holding it is completed (not logged as served)."),
  ]);
  render(p.name,
    h("p", { class: "crumbs" }, h("a", { href: "/admin/products" }, "Products")),
    h("h1", {}, p.name, " ", h("code", { class: "muted product-id" }, p.id)),
    h("div", { class: "side-by-side" }, h("section", { "aria-label": "Attributes" }, attributes(p)), drawing),
    h("h2", {}, "How it performs"),
    performance(found.performance),
    fit(found.fit),
    h("div", { class: "charts" }, similar, goes));
}
