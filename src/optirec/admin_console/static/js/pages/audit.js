// The audit log: who promoted, rolled back, trained, created or revoked an API key, revealed a prescription, exported
// or erased a customer, and when; newest first.

import { get } from "../api.js";
import { empty, exact, h, render, scroller, when } from "../ui.js";

const PAGE = 50;

const customer = (id) => h("a", { href: `/admin/customers?id=${encodeURIComponent(id)}` }, id);

function what(e) {
  const d = e.detail || {};
  switch (e.action) {
    case "model.promote": return `Promoted model version ${e.target}${d.was_live ? ` (in place of ${d.was_live})` : ""}`;
    case "model.rollback": return `Rolled back to model version ${e.target}${d.rolled_back ? ` (from ${d.rolled_back})` : ""}`;
    case "model.train": return `Started a training${d.force ? ", to be promoted even if worse" : ""}${d.status === "already running" ? " (one was already running)" : ""}`;
    case "key.create": return `Created the ${d.role || ""} API key “${d.name || e.target}”`;
    case "key.revoke": return `Revoked the ${d.role || ""} API key “${d.name || e.target}”`;
    case "prescription.reveal": return h("span", {}, "Revealed the prescription of customer ", customer(e.target));
    case "customer.export": return h("span", {}, "Exported everything held on customer ", customer(e.target), ` (${d.signals ?? 0} signals, ${d.recommendations_served ?? 0} lists served)`);
    case "customer.erase": return `Erased customer ${e.target} (${d.signals ?? 0} signals, ${d.recommendations_served ?? 0} lists served)`;
    case "experiment.create": return `Created experiment ${e.target}${d.name ? ` “${d.name}”` : ""}`;
    case "experiment.start": return `Started experiment ${e.target}`;
    case "experiment.stop": return `Stopped experiment ${e.target}`;
    case "experiment.ship": return `Shipped arm ${d.arm || "?"} of experiment ${e.target} as the default policy`;
    case "experiment.guardrail": return `The guardrail stopped arm ${d.arm || "?"} of experiment ${e.target}${d.reason ? `: ${d.reason}` : ""}`;
    default: return `${e.action} ${e.target}`;
  }
}

function row(e) {
  return h("tr", { dataset: { action: e.action } },
    h("td", {}, when(e.at), h("span", { class: "muted" }, h("br"), exact(e.at))),
    h("td", {}, e.actor_label || e.actor),
    h("td", {}, what(e)));
}

export async function show() {
  const first = await get(`/api/admin/audit?limit=${PAGE}`);
  if (!first.events.length) {
    render("Audit log", h("h1", {}, "Audit log"),
      empty("Nothing recorded yet. Each promotion, rollback, training started here or through the admin API, each API key created or revoked, and each prescription revealed and customer exported or erased is written here, with who did it and when."));
    return;
  }
  const body = h("tbody", {}, first.events.map(row));
  const more = h("button", { type: "button", class: "button button-secondary" }, "Show older events");
  let before = first.next_before;
  more.hidden = before === null;
  more.addEventListener("click", async () => {
    const next = await get(`/api/admin/audit?limit=${PAGE}&before=${before}`);
    body.append(...next.events.map(row));
    before = next.next_before;
    more.hidden = before === null;
  });
  render("Audit log",
    h("h1", {}, "Audit log"),
    h("p", { class: "lead" }, "Every change an administrator made to what the shop serves or who may call it, and every look at or removal of a customer's data: newest first."),
    scroller("Audit events", h("table", { class: "audit" },
      h("caption", {}, "Audit events, newest first"),
      h("thead", {}, h("tr", {}, ["When", "Who", "What"].map((t) => h("th", { scope: "col" }, t)))),
      body)),
    more);
}
