// Catalog fit coverage: for each prescription band (sphere by cylinder, single vision or progressive) and face-width
// band, how many in-stock frames fit a wearer of that band; the zeros are where the catalog leaves customers nothing.

import { get } from "../api.js";
import { count, h, notice, render, scroller, table } from "../ui.js";

const dioptres = (v) => `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.abs(v).toFixed(2)}`;
const band = ([lo, hi], unit = "") => (lo === hi ? `${dioptres(lo)}${unit}` : `${dioptres(lo)} to ${dioptres(hi)}${unit}`);
const faceBand = ([lo, hi]) => `${lo}–${hi}`;

function level(n) {
  if (n === 0) return 0;
  if (n < 3) return 1;
  if (n < 10) return 2;
  if (n < 30) return 3;
  return 4;
}

// A cell where nothing fits: the 0 in bold, and the shop's customers who are there.
function empty0(cell) {
  return [h("strong", {}, "0", h("span", { class: "visually-hidden" }, ": nothing fits")),
    cell.customers ? h("span", { class: "stranded" }, `${count(cell.customers)} customer${cell.customers === 1 ? "" : "s"}`) : null];
}

// The cells where customers have nothing to choose, those with the most customers first.
function stranded(c) {
  const rows = [];
  for (const t of c.tables) {
    t.rows.forEach((row, k) => row.cells.forEach((cell, f) => {
      if (cell.frames === 0 && cell.customers > 0) {
        const cyl = c.cylinder_bands[k % c.cylinder_bands.length];
        rows.push([t.progressive ? "Progressive" : "Single vision", band(c.sphere_bands[Math.floor(k / c.cylinder_bands.length)]),
          cyl[0] === 0 ? "none" : band(cyl), `${faceBand(c.face_width_bands[f])} mm`, cell.customers]);
      }
    }));
  }
  if (!rows.length) return h("p", {}, "Every customer placed in the map has at least one frame that fits.");
  rows.sort((a, b) => b[4] - a[4]);
  return table("Where customers have nothing to choose, most customers first", ["Lenses", "Sphere", "Cylinder", "Face width", "Customers"],
    rows.map((r) => [...r.slice(0, 4), count(r[4])]), { numeric: [4] });
}

function heatTable(table, c) {
  const title = table.progressive ? "Progressive (ADD +2.00)" : "Single vision";
  const id = table.progressive ? "progressive" : "single-vision";
  const per = c.cylinder_bands.length;
  const groups = c.sphere_bands.map((sphere, s) => table.rows.slice(s * per, (s + 1) * per).map((row, k) => h("tr", {},
    k === 0 ? h("th", { scope: "rowgroup", rowspan: String(per), class: "sph" }, band(sphere)) : null,
    h("th", { scope: "row", class: "cyl" }, c.cylinder_bands[k][0] === 0 ? "none" : band(c.cylinder_bands[k])),
    row.cells.map((cell) => h("td", {
      class: `num heat-${level(cell.frames)}`,
      dataset: { sphere: String(row.sphere), cylinder: String(row.cylinder), face: String(cell.face_width_mm), frames: String(cell.frames), customers: String(cell.customers) },
    }, cell.frames === 0 ? empty0(cell) : count(cell.frames))))));
  return h("section", { "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title),
    scroller(`${title}: frames that fit`, h("table", { class: "heat", dataset: { progressive: String(table.progressive) } },
      h("caption", {}, `${title}: in-stock frames that fit, by prescription (rows) and face width (columns, mm)`),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Sphere"), h("th", { scope: "col" }, "Cylinder"),
        c.face_width_bands.map((b) => h("th", { scope: "col", class: "num" }, faceBand(b))))),
      groups.map((rows) => h("tbody", {}, rows)))));
}

function legend() {
  const keys = [[0, "none: nothing to choose"], [1, "1–2"], [2, "3–9"], [3, "10–29"], [4, "30 or more"]];
  return h("div", { class: "heat-legend" }, h("p", { id: "legend-title" }, "Frames that fit:"),
    h("ul", { "aria-labelledby": "legend-title" }, keys.map(([k, label]) => h("li", {}, h("span", { class: `swatch heat-${k}`, "aria-hidden": "true" }), label))));
}

export async function show() {
  const c = await get("/api/admin/coverage");
  const cells = c.tables.reduce((n, t) => n + t.rows.length * c.face_width_bands.length, 0);
  const head = [h("h1", {}, "Fit coverage"),
    h("p", { class: "lead" }, "Which customers the catalog can serve: each cell counts the in-stock eyeglass frames that fit a wearer in the middle of that prescription band and face width (both eyes alike, axis 180°, PD ", `${c.pd_mm} mm). Where it reads 0, those customers have nothing to choose. The shop's own customers are placed in the cells by their prescription (the sphere of the stronger eye, the larger cylinder, an addition or not) and face width.`)];
  if (!c.frames_in_stock) {
    render("Fit coverage", ...head, notice("No eyeglass frame is in stock: every customer is left with nothing. Import products with optirec import-products, or set their stock."));
    return;
  }
  render("Fit coverage", ...head,
    h("dl", { class: "stats" },
      h("div", { class: "stat" }, h("dt", {}, "Eyeglass frames in stock"), h("dd", {}, h("span", { class: "stat-value" }, count(c.frames_in_stock)))),
      h("div", { class: "stat" }, h("dt", {}, "Cells with nothing to choose"), h("dd", {}, h("span", { class: "stat-value", id: "empty-cells" }, count(c.empty_cells)), h("span", { class: "stat-note" }, `of ${count(cells)}`))),
      h("div", { class: "stat" }, h("dt", {}, "Customers with nothing to choose"), h("dd", {}, h("span", { class: "stat-value", id: "without-choice" }, count(c.customers_without_choice)),
        h("span", { class: "stat-note" }, `of ${count(c.customers_placed)} customers with a prescription and face width in the map`)))),
    h("h2", {}, "Where customers have nothing to choose"),
    stranded(c),
    legend(),
    h("div", { class: "heat-maps" }, c.tables.map((t) => heatTable(t, c))),
    h("p", { class: "hint" }, `Computed once per version of the catalog (now ${count(Number(c.catalog_version.split(":")[0]))} products, active or not); a change to any product computes it again.`));
}
