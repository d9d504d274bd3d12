// Overview: the shop in numbers, signals per hour, what the lists lead to per day and model version, the workers.

import { chart, get } from "../api.js";
import { ago, count, empty, h, money, notice, percent, render, stat, table, when } from "../ui.js";

const ACTIONS = { view: "Views", add_to_cart: "Added to cart", remove_from_cart: "Removed from cart", favorite: "Favourites", purchase: "Purchases" };
const DAILY = ["click_through", "add_to_cart_rate", "conversion", "revenue"];
const DAYS = 30;

const TITLES = {
  click_through: "Click-through: lists with a product viewed",
  add_to_cart_rate: "Add-to-cart rate: lists with a product put in a cart",
  conversion: "Conversion: lists followed by a purchase",
  revenue: "Revenue attributed to the lists",
};

async function drawn(path, caption) {
  const figure = h("figure", { class: "chart-box" }, h("figcaption", {}, caption));
  try {
    figure.append(await chart(path));
  } catch (error) {
    figure.append(notice(`${caption}: ${error.message}`, "error"));
  }
  return figure;
}

function numbers(o) {
  const last24 = Object.values(o.signals_last_24h).reduce((a, b) => a + b, 0);
  const live = o.live_model;
  return h("dl", { class: "stats" },
    stat("Products", count(o.products), `${count(o.products_in_stock)} in stock`),
    stat("Customers", count(o.customers)),
    stat("Signals, last 24 hours", count(last24), `${count(o.signals)} in all`,
      o.last_signal_at ? `latest ${ago(o.last_signal_at)}` : null),
    stat("Lists served, last 24 hours", count(o.lists_served_last_24h), `${count(o.lists_served)} in all`),
    stat("Live model", live ? live.id : "none", "small",
      live ? `promoted ${ago(live.promoted_at)}` : "popularity serves: train one on the Models page"));
}

function signalsByAction(o) {
  const rows = Object.entries(o.signals_last_24h).sort((a, b) => b[1] - a[1]);
  if (!rows.length) return null;
  return table("Signals in the last 24 hours, by action", ["Action", "Signals"],
    rows.map(([action, n]) => [ACTIONS[action] || action, count(n)]), { numeric: [1] });
}

function perVersion(metrics) {
  const totals = new Map();
  for (const row of metrics) {
    const t = totals.get(row.model_version) || { lists: 0, views: 0, carts: 0, purchases: 0, revenue: 0 };
    t.lists += row.lists_served;
    t.views += row.click_through * row.lists_served;
    t.carts += row.add_to_cart_rate * row.lists_served;
    t.purchases += row.conversion * row.lists_served;
    t.revenue += row.revenue;
    totals.set(row.model_version, t);
  }
  const rows = [...totals.entries()].sort((a, b) => b[1].lists - a[1].lists).map(([version, t]) => [
    version, count(t.lists), percent(t.views / t.lists), percent(t.carts / t.lists), percent(t.purchases / t.lists), money(t.revenue),
  ]);
  return table(`Per model version, last ${DAYS} days`,
    ["Model version", "Lists served", "Click-through", "Add-to-cart rate", "Conversion", "Revenue attributed"], rows,
    { numeric: [1, 2, 3, 4, 5] });
}

function workers(list) {
  if (!list.length) return empty("No worker has reported yet: start optirec with", "optirec serve");
  const state = (w) => w.state === "live" ? "Live" : w.state === "fallback" ? `Fallen back: ${w.reason || "the live version could not be loaded"}` : "Popularity (no model is live)";
  return table("Each worker process and what it serves", ["Worker", "Model version", "Serving", "Warmed up", "Last seen"],
    list.map((w) => [w.id, w.model_version, state(w), w.warmed ? "yes" : "not yet", h("span", {}, when(w.seen_at), w.alive ? "" : " (stopped)")]));
}

export async function show() {
  const [o, metrics, workerList] = await Promise.all([
    get("/api/admin/overview"), get(`/api/admin/metrics?days=${DAYS}`), get("/api/admin/workers"),
  ]);
  const signals = o.signals
    ? [h("div", { class: "side-by-side" },
      await drawn("/admin/charts/signals-per-hour.svg", "Signals per hour, last 24 hours (UTC)"), signalsByAction(o))]
    : [empty("No signals yet: send them from the shop (POST /api/recommendations/signals), or import past events with",
      "optirec import-events events.csv")];
  const lists = metrics.length
    ? [h("div", { class: "charts" }, await Promise.all(DAILY.map((m) => drawn(`/admin/charts/daily/${m}.svg?days=${DAYS}`, TITLES[m])))), perVersion(metrics)]
    : [empty(`No lists served in the last ${DAYS} days: the charts fill as the shop asks for recommendations (POST /api/recommendations/personalized, /similar, /complete-the-look) and sends signals with their recommendation_id.`)];
  render("Overview",
    h("h1", {}, "Overview"),
    h("p", { class: "hint", id: "counted" }, "Signals, lists and their daily metrics as counted ", when(o.counted_at), " (counted again at most every minute, in the background); products, customers and the live model as they are now."),
    numbers(o),
    h("section", { "aria-labelledby": "signals-title" }, h("h2", { id: "signals-title" }, "Signals"), signals),
    h("section", { "aria-labelledby": "lists-title" },
      h("h2", { id: "lists-title" }, "What the lists lead to, per day"),
      h("p", { class: "hint" }, "Each list served carries a recommendation_id; a view, a cart or a purchase that carries it is counted for that list and the model version that made it."),
      lists),
    h("section", { "aria-labelledby": "workers-title" }, h("h2", { id: "workers-title" }, "Workers"), workers(workerList)));
}
