// Listing: category, shape, rim type, material, price, words; and "frames that fit me", which shows what the API's
// counts say each rule hid. The filters are a plain GET form, so every listing has its own address.

import { customer, post } from "../api.js";
import { card, cards, h, notice, render } from "../ui.js";
import { forRequest } from "../wearer.js";

const PAGE = 24;
const CATEGORY_TITLES = { eyeglasses: "Glasses", sunglasses: "Sunglasses", accessories: "Accessories" };
// What each rule hides, finishing "N of M frames hidden: …"
const HIDDEN = {
  rx_capable: "can't take prescription lenses",
  sphere: "can't take your prescription's strength",
  cylinder: "can't take your astigmatism correction",
  rim_power: "have rims too light for your lenses",
  multifocal: "can't take varifocal lenses",
  lens_width_power: "have lenses too wide for your prescription",
  decentration: "can't centre the lenses on your pupils",
  face_width: "are too narrow or too wide for your face",
};
const SORTS = { popular: "Most popular", price_asc: "Price, low to high", price_desc: "Price, high to low", name: "Name" };
const FILTERS = ["category", "shape", "rim_type", "material", "price_min", "price_max", "q"];

function request(params) {
  const filters = {};
  for (const name of FILTERS) {
    const value = (params.get(name) || "").trim();
    if (value) filters[name] = value;
  }
  return {
    filters,
    fits_me: params.get("fits") === "1",
    sort: SORTS[params.get("sort")] ? params.get("sort") : "popular",
    limit: PAGE,
    offset: Math.max(0, Number.parseInt(params.get("page") || "1", 10) - 1) * PAGE,
    ...forRequest(),
  };
}

export async function show() {
  const params = new URLSearchParams(location.search);
  const body = request(params);
  const title = CATEGORY_TITLES[body.filters.category] || (body.filters.q ? `Search: ${body.filters.q}` : "All frames");
  let page;
  try {
    page = await post("/api/fit/products", body);
  } catch (error) {
    render(title, h("h1", {}, title), notice(error.message, "error"));
    return;
  }
  const results = h("section", { class: "results", "aria-labelledby": "results-title" },
    h("h2", { id: "results-title", class: "visually-hidden" }, "Products"),
    h("p", { class: "count", role: "status" }, `${page.total.toLocaleString("en-GB")} ${page.total === 1 ? "product" : "products"}`),
    page.items.length ? cards(page.items.map((p) => card(p)), "Products") : notice("Nothing matches these filters. Try removing one."),
    pager(params, page));
  render(title, h("h1", {}, title), h("div", { class: "listing" }, filterForm(params, body, page), results));
  document.querySelector(".listing").dataset.total = String(page.total);
}

function select(name, label, values, chosen, labels = {}) {
  return h("div", { class: "field" },
    h("label", { for: name }, label),
    h("select", { id: name, name },
      h("option", { value: "" }, "Any"),
      values.map((v) => h("option", { value: v, selected: v === chosen }, labels[v] || v.replace(/-/g, " ")))));
}

function filterForm(params, body, page) {
  const f = body.filters;
  const form = h("form", { class: "filters", method: "get", action: "/shop/frames", "aria-label": "Filters" },
    fitSwitch(body, page),
    h("div", { class: "field" },
      h("label", { for: "q" }, "Search"),
      h("input", { id: "q", name: "q", type: "search", value: f.q || "", maxlength: 100 })),
    select("category", "Category", page.facets.category, f.category),
    select("shape", "Shape", page.facets.shape, f.shape),
    select("rim_type", "Rim", page.facets.rim_type, f.rim_type),
    select("material", "Material", page.facets.material, f.material),
    h("fieldset", { class: "price" },
      h("legend", {}, "Price in euros"),
      h("div", { class: "field" }, h("label", { for: "price_min" }, "From"),
        h("input", { id: "price_min", name: "price_min", inputmode: "decimal", value: f.price_min || "", class: "input-short" })),
      h("div", { class: "field" }, h("label", { for: "price_max" }, "To"),
        h("input", { id: "price_max", name: "price_max", inputmode: "decimal", value: f.price_max || "", class: "input-short" }))),
    select("sort", "Sort by", Object.keys(SORTS), body.sort, SORTS),
    h("button", { type: "submit", class: "button" }, "Apply filters"));
  // A change applies at once, for a mouse; the button does the same for a keyboard and without JavaScript.
  form.addEventListener("change", (event) => {
    if (event.target.matches("select, input[type=checkbox]")) form.requestSubmit();
  });
  return form;
}

// "Frames that fit me", with what the API says it hides (or would hide) among these products.
function fitSwitch(body, page) {
  const known = page.wearer !== "none";
  const { considered, hidden, by_rule: byRule } = page.fit;
  const reasons = Object.entries(byRule).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])
    .map(([rule, n]) => `${n.toLocaleString("en-GB")} ${HIDDEN[rule] || rule}`);
  let said;
  if (!known) {
    said = h("span", {}, "Tell us your prescription and face width and this hides the frames that cannot fit you. ",
      h("a", { href: "/shop/profile" }, customer() ? "Add them to your profile" : "Enter your measurements"));
  } else if (!hidden) {
    said = `All ${considered.toLocaleString("en-GB")} frames here fit you.`;
  } else {
    const verb = body.fits_me ? "hidden" : "would be hidden";
    said = `${hidden.toLocaleString("en-GB")} of ${considered.toLocaleString("en-GB")} frames ${verb}: ${reasons.join("; ")}.`;
  }
  return h("div", { class: "fit-switch" },
    h("div", { class: "switch" },
      h("input", { type: "checkbox", role: "switch", id: "fits", name: "fits", value: "1", checked: body.fits_me, disabled: !known, "aria-describedby": "fits-hint" }),
      h("label", { for: "fits" }, "Only frames that fit me")),
    h("p", { class: "hint", id: "fits-hint", "data-fit-counts": "" }, said));
}

function pager(params, page) {
  const pages = Math.ceil(page.total / PAGE);
  const current = Math.floor(page.offset / PAGE) + 1;
  if (pages <= 1) return null;
  const link = (n, text) => {
    const next = new URLSearchParams(params);
    next.set("page", String(n));
    return h("a", { href: `/shop/frames?${next}`, rel: n > current ? "next" : "prev" }, text);
  };
  return h("nav", { class: "pager", "aria-label": "Pages" },
    current > 1 ? link(current - 1, "Previous page") : null,
    h("span", {}, `Page ${current} of ${pages}`),
    current < pages ? link(current + 1, "Next page") : null);
}
