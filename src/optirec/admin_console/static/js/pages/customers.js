// The customer inspector: find a customer by id or e-mail; their profile with the prescription masked until the
// operator reveals it (each reveal written to the audit log), their latest signals, what they would see now, and
// their data exported or erased.

import { ApiError, del, get, post, requireAdmin } from "../api.js";
import { filterCounts, items, listNote, productLink } from "../lists.js";
import { confirm, count, empty, exact, h, money, notice, render, scroller, stat, table, when } from "../ui.js";

const ACTIONS = { view: "Viewed", add_to_cart: "Added to cart", remove_from_cart: "Removed from cart", favorite: "Favourite", purchase: "Bought" };
const signed = (n) => (n === null || n === undefined ? "—" : `${n > 0 ? "+" : n < 0 ? "−" : ""}${Math.abs(n).toFixed(2)}`);

function searchForm(q) {
  const input = h("input", { id: "customer-q", name: "q", value: q || "", maxlength: "254", autocomplete: "off", "aria-describedby": "customer-q-hint", type: "search" });
  return h("form", { class: "search", role: "search", action: "/admin/customers", method: "get" },
    h("label", { for: "customer-q" }, "Customer id or e-mail address"),
    h("p", { class: "hint", id: "customer-q-hint" }, "An exact id, or the start of an e-mail address, for example “ada@”."),
    h("div", { class: "search-row" }, input, h("button", { class: "button", type: "submit" }, "Find")));
}

function found(matches) {
  return h("div", {},
    h("h2", {}, `${count(matches.length)} customer${matches.length === 1 ? "" : "s"} found`),
    h("ul", { class: "found" }, matches.map((c) => h("li", {},
      h("a", { href: `/admin/customers?id=${encodeURIComponent(c.id)}` }, c.email || c.id),
      h("span", { class: "muted" }, ` · ${c.id}${c.role === "admin" ? " · administrator" : ""}`)))));
}

function prescriptionTable(rx) {
  const row = (name, eye) => [name, signed(eye?.sph), signed(eye?.cyl), eye?.axis ? `${eye.axis}°` : "—", signed(eye?.add)];
  return table("Sphere (SPH), cylinder (CYL) and addition (ADD) in dioptres", ["Eye", "SPH", "CYL", "Axis", "ADD"],
    [row("Right (OD)", rx.right), row("Left (OS)", rx.left)], { numeric: [1, 2, 3, 4] });
}

function prescriptionPart(c) {
  const box = h("div", { class: "prescription", id: "prescription", "aria-live": "polite" });
  if (!c.profile.prescription_on_file) {
    box.append(h("p", {}, "No prescription on file."));
    return box;
  }
  const button = h("button", { type: "button", class: "button button-secondary", id: "reveal" }, "Reveal the prescription");
  button.addEventListener("click", async () => {
    try {
      const answer = await post(`/api/admin/customers/${encodeURIComponent(c.id)}/prescription/reveal`);
      box.replaceChildren(answer.prescription ? prescriptionTable(answer.prescription) : h("p", {}, "No prescription on file."),
        h("p", { class: "hint" }, "This reveal is written to the audit log with your name."));
      box.dataset.revealed = "true";
    } catch (error) {
      box.append(notice(error.message, "error"));
    }
  });
  box.append(
    h("p", {}, h("span", { class: "masked", "aria-hidden": "true" }, "•••• ••••"), h("span", { class: "visually-hidden" }, "Prescription hidden.")),
    h("p", { class: "hint" }, "Health data: revealed only when you need it. Each reveal is written to the audit log, with who and when."),
    button);
  return box;
}

function profile(c) {
  const p = c.profile;
  const prefs = Object.entries(p.preferences).filter(([, v]) => v.length).map(([k, v]) => `${k.replaceAll("_", " ")}: ${v.join(", ")}`);
  const budget = p.budget_min || p.budget_max ? `${p.budget_min ? money(p.budget_min) : "any"} to ${p.budget_max ? money(p.budget_max) : "any"}` : "—";
  return h("dl", { class: "facts" },
    h("dt", {}, "Pupillary distance"), h("dd", {}, p.pd_mm ? `${p.pd_mm} mm` : "—"),
    h("dt", {}, "Face width"), h("dd", {}, p.face_width_mm ? `${p.face_width_mm} mm` : "—"),
    h("dt", {}, "Born"), h("dd", {}, p.birth_year ? String(p.birth_year) : "—"),
    h("dt", {}, "Preferences"), h("dd", {}, prefs.length ? prefs.join("; ") : "—"),
    h("dt", {}, "Budget"), h("dd", {}, budget),
    h("dt", {}, "Personalisation"), h("dd", {}, p.consent.personalization ? "Consented" : "Refused: lists use no behaviour"));
}

function signals(c) {
  if (!c.recent_signals.length) return empty("No signals from this customer yet.");
  return scroller("Latest signals", h("table", { class: "signals" },
    h("caption", {}, `The latest ${count(c.recent_signals.length)} of ${count(c.signals)} signals, newest first`),
    h("thead", {}, h("tr", {}, ["When", "What", "Product", "From a list"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, c.recent_signals.map((s) => h("tr", {},
      h("td", {}, when(s.occurred_at)),
      h("td", {}, ACTIONS[s.action_type] || s.action_type),
      h("td", {}, s.product_name ? productLink({ id: s.product_id, name: s.product_name }) : h("span", {}, s.product_id, h("span", { class: "muted" }, " (not in the catalog)"))),
      h("td", {}, s.recommendation_id ? "Yes" : "No"))))));
}

async function wouldSee(c) {
  const part = h("section", { class: "would-see", "aria-labelledby": "would-see-title" },
    h("h2", { id: "would-see-title" }, "What they would see now"),
    h("p", { class: "hint" }, "Their home-page list, built now as the shop's request would build it: the live model, their profile and history, each product's reasons as the shopper reads them. Not logged as served, so it counts in no metric."));
  try {
    const list = await get(`/api/admin/customers/${encodeURIComponent(c.id)}/list?limit=12`);
    part.append(listNote(list), h("div", { class: "side-by-side" }, items(list, "What they would see now"), filterCounts(list)));
  } catch (error) {
    part.append(notice(error.message, "error"));
  }
  return part;
}

function download(c, status) {
  return async () => {
    try {
      const exported = await get(`/api/admin/customers/${encodeURIComponent(c.id)}/export`);
      const url = URL.createObjectURL(new Blob([JSON.stringify(exported, null, 2)], { type: "application/json" }));
      const link = h("a", { href: url, download: `optirec-customer-${c.id}.json` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      status.replaceChildren(notice("The export is downloaded, and written to the audit log."));
    } catch (error) {
      status.replaceChildren(notice(error.message, "error"));
    }
  };
}

function erase(c, status) {
  return async () => {
    const sure = await confirm(`Erase ${c.email || c.id}?`,
      `The account, the profile (the prescription included), ${count(c.signals)} signals and ${count(c.lists_served)} lists served are deleted for good. The erasure is written to the audit log. This cannot be undone.`,
      "Erase the customer", { danger: true });
    if (!sure) return;
    try {
      const erased = await del(`/api/admin/customers/${encodeURIComponent(c.id)}`);
      render("Customers", h("h1", {}, "Customers"), searchForm(""),
        h("div", { class: "action-status", id: "erased" },
          notice(`${c.email || c.id} is erased: the account, ${count(erased.signals)} signals and ${count(erased.recommendations_served)} lists served. The erasure is in the audit log.`)));
    } catch (error) {
      status.replaceChildren(notice(error.message, "error"));
    }
  };
}

async function inspect(id) {
  let c;
  try {
    c = await get(`/api/admin/customers/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 422)) {
      render("Customers", h("h1", {}, "Customers"), searchForm(id), notice(error.message, "error"));
      return;
    }
    throw error;
  }
  const status = h("div", { class: "action-status", role: "status" });
  const admin = c.role === "admin";
  render(c.email || c.id,
    h("p", { class: "crumbs" }, h("a", { href: "/admin/customers" }, "Customers")),
    h("h1", {}, c.email || c.id),
    h("dl", { class: "stats" },
      stat("Customer id", c.id, "small"),
      stat("Account", admin ? "Administrator" : "Customer", `created ${exact(c.created_at)}`),
      stat("Signals", count(c.signals)),
      stat("Lists served", count(c.lists_served))),
    h("div", { class: "side-by-side" },
      h("section", { "aria-labelledby": "profile-title" }, h("h2", { id: "profile-title" }, "Profile"), profile(c)),
      h("section", { "aria-labelledby": "rx-title" }, h("h2", { id: "rx-title" }, "Prescription"), prescriptionPart(c))),
    h("h2", {}, "Latest signals"),
    signals(c),
    await wouldSee(c),
    h("section", { class: "panel", "aria-labelledby": "data-title" },
      h("h2", { id: "data-title" }, "Their data"),
      h("p", { class: "hint" }, "An access or deletion request the shop received. Both are written to the audit log."),
      h("button", { type: "button", class: "button button-secondary", id: "export", onclick: download(c, status) }, "Download everything held (JSON)"),
      admin ? h("p", { class: "hint" }, "An administrator's account is not erased here.") :
        h("button", { type: "button", class: "button button-warning", id: "erase", onclick: erase(c, status) }, "Erase the customer…"),
      status));
}

export async function show() {
  const params = new URLSearchParams(location.search);
  const id = params.get("id");
  if (id) return inspect(id);
  const q = (params.get("q") || "").trim();
  if (!q) {
    await requireAdmin();
    render("Customers", h("h1", {}, "Customers"),
      h("p", { class: "lead" }, "Find a customer to see their profile, their latest signals and what they would be shown now; export or erase their data."),
      searchForm(""));
    return;
  }
  const matches = await get(`/api/admin/customers?q=${encodeURIComponent(q.slice(0, 254))}`);
  if (matches.length === 1 && (matches[0].id === q || matches[0].email === q.toLowerCase())) return inspect(matches[0].id);
  render("Customers", h("h1", {}, "Customers"), searchForm(q),
    matches.length ? found(matches) : notice(`No customer has the id or an e-mail address beginning “${q.slice(0, 60)}”. Check the spelling, or search by e-mail address.`));
}
