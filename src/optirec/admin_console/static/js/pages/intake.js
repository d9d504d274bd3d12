// Signal intake: what optirec answered to the signals the shop sent, per hour of the last 24 (by when they
// arrived): accepted (stored), duplicates (acknowledged, not stored again), rejected (refused with an error) and,
// of the accepted, those about a product the catalog did not hold.

import { get } from "../api.js";
import { count, empty, h, percent, render, scroller, stat } from "../ui.js";

const hourLabel = new Intl.DateTimeFormat("en-GB", { weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: "UTC" });

function share(part, whole) {
  return whole ? `${percent(part / whole)} of those sent` : "";
}

export async function show() {
  const intake = await get("/api/admin/intake");
  const head = [h("h1", {}, "Signal intake"),
    h("p", { class: "lead" }, "What optirec answered to the signals the shop sent in the last 24 hours, by the hour they arrived (UTC). Duplicates are signals whose event id was already stored (a retry, usually harmless); rejected ones were refused with an error to the sender; unknown products are accepted signals about a product the catalog does not hold (often a late catalog import or an id spelt differently). Imported files count in the hour they were imported. Each serving process writes its counts every few seconds.")];
  const sent = intake.accepted + intake.duplicates + intake.rejected;
  if (!sent) {
    render("Signal intake", ...head,
      empty("No signal arrived in the last 24 hours. The shop sends them to POST /api/recommendations/signals; past events are imported with", "optirec import-events events.csv"));
    return;
  }
  const rows = intake.hours.slice().reverse(); // newest first
  const col = (text) => h("th", { scope: "col", class: "num" }, text);
  render("Signal intake", ...head,
    h("dl", { class: "stats" },
      stat("Accepted, last 24 hours", count(intake.accepted), share(intake.accepted, sent)),
      stat("Duplicates", count(intake.duplicates), share(intake.duplicates, sent)),
      stat("Rejected", count(intake.rejected), share(intake.rejected, sent)),
      stat("About unknown products", count(intake.unknown_products), intake.accepted ? `${percent(intake.unknown_products / intake.accepted)} of those accepted` : "")),
    scroller("Signals per hour", h("table", { class: "intake" },
      h("caption", {}, "Signals per hour, newest first (UTC)"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Hour"), col("Accepted"), col("Duplicates"), col("Rejected"), col("About unknown products"))),
      h("tbody", {}, rows.map((r) => h("tr", { dataset: { hour: r.hour, accepted: String(r.accepted), duplicates: String(r.duplicates), rejected: String(r.rejected), unknown: String(r.unknown_products) } },
        h("th", { scope: "row" }, hourLabel.format(new Date(r.hour))),
        h("td", { class: "num" }, count(r.accepted)),
        h("td", { class: "num" }, count(r.duplicates)),
        h("td", { class: "num" }, count(r.rejected)),
        h("td", { class: "num" }, count(r.unknown_products))))))));
}
