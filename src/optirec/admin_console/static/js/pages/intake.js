// Signal intake: the signals stored per hour of the last 24 (by when they arrived), and of those the ones about a
// product the catalog did not hold. Duplicates and rejected signals are answered to the sender and not stored, so
// this page cannot count them (it says so).

import { get } from "../api.js";
import { count, empty, h, percent, render, scroller, stat } from "../ui.js";

const hourLabel = new Intl.DateTimeFormat("en-GB", { weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: "UTC" });

export async function show() {
  const intake = await get("/api/admin/intake");
  const head = [h("h1", {}, "Signal intake"),
    h("p", { class: "lead" }, "The signals the shop sent in the last 24 hours, by the hour they arrived (UTC), and how many were about a product the catalog does not hold (often a catalog import that is late or an id the shop spells differently). Events imported from a file count in the hour they were imported.")];
  const missing = h("div", { class: "notice", role: "note" },
    h("p", {}, h("strong", {}, "Not counted here: duplicates and rejected signals. "),
      "optirec answers them to the sender (the ", h("code", {}, "duplicates"), " and ", h("code", {}, "rejected"),
      " counts of POST /api/recommendations/signals and of an import's report) and stores nothing of them, so no hourly history of them exists."));
  if (!intake.accepted) {
    render("Signal intake", ...head,
      empty("No signal arrived in the last 24 hours. The shop sends them to POST /api/recommendations/signals; past events are imported with", "optirec import-events events.csv"),
      missing);
    return;
  }
  const rows = intake.hours.slice().reverse(); // newest first
  render("Signal intake", ...head,
    h("dl", { class: "stats" },
      stat("Accepted, last 24 hours", count(intake.accepted)),
      stat("About unknown products", count(intake.unknown_products), `${percent(intake.unknown_products / intake.accepted)} of those accepted`)),
    missing,
    scroller("Signals per hour", h("table", { class: "intake" },
      h("caption", {}, "Signals accepted per hour, newest first (UTC)"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Hour"), h("th", { scope: "col", class: "num" }, "Accepted"), h("th", { scope: "col", class: "num" }, "About unknown products"))),
      h("tbody", {}, rows.map((r) => h("tr", { dataset: { hour: r.hour, accepted: String(r.accepted), unknown: String(r.unknown_products) } },
        h("th", { scope: "row" }, hourLabel.format(new Date(r.hour))),
        h("td", { class: "num" }, count(r.accepted)),
        h("td", { class: "num" }, count(r.unknown_products))))))));
}
