// API keys: the shop's servers' credentials. Create one (its secret shown this once), revoke one after a
// confirmation. Both are written to the audit log by the API.

import { del, get, post } from "../api.js";
import { confirm, empty, h, notice, render, scroller, when } from "../ui.js";

const ROLES = { service: "Service: acts for any customer or session (the shop's servers)", admin: "Administrator: also manages models and keys" };
let status;

function revokeButton(key, reload) {
  return h("button", {
    type: "button", class: "button button-warning", dataset: { revoke: key.id },
    onclick: async () => {
      const sure = await confirm(`Revoke “${key.name}”?`,
        "Every server that uses this key is refused from now on (within a few seconds on every worker). This cannot be undone: a new key must be created and installed instead.",
        "Revoke the key", { danger: true });
      if (!sure) return;
      try {
        await del(`/api/admin/keys/${encodeURIComponent(key.id)}`);
        await reload();
        status.replaceChildren(notice(`The key “${key.name}” is revoked.`));
      } catch (error) {
        status.replaceChildren(notice(error.message, "error"));
      }
    },
  }, "Revoke", h("span", { class: "visually-hidden" }, ` ${key.name}`));
}

function keysTable(keys, reload) {
  if (!keys.length) return empty("No API key yet. Create one below for each server of the shop that calls optirec, or on the server with", "optirec keys create NAME");
  return scroller("API keys", h("table", { class: "keys" },
    h("caption", {}, "API keys, never their secrets"),
    h("thead", {}, h("tr", {}, ["Name", "Role", "Created", "State", ""].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, keys.map((key) => h("tr", { dataset: { key: key.id, state: key.revoked_at ? "revoked" : "active" } },
      h("th", { scope: "row" }, key.name, h("br"), h("code", { class: "muted" }, key.id)),
      h("td", {}, key.role === "admin" ? "Administrator" : "Service"),
      h("td", {}, when(key.created_at)),
      h("td", {}, key.revoked_at ? h("span", {}, "Revoked ", when(key.revoked_at)) : "Active"),
      h("td", {}, key.revoked_at ? "" : revokeButton(key, reload)))))));
}

function createForm(reload) {
  const name = h("input", { id: "key-name", name: "name", maxlength: "100", "aria-describedby": "key-name-hint", autocomplete: "off" });
  const role = h("select", { id: "key-role", name: "role" },
    Object.entries(ROLES).map(([value, label]) => h("option", { value }, label)));
  const shown = h("div", { class: "created", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "panel", novalidate: true },
    h("h2", { id: "create-title" }, "Create a key"),
    h("div", { class: "field" },
      h("label", { for: "key-name" }, "Name"),
      h("p", { class: "hint", id: "key-name-hint" }, "Which server will use it, for example “checkout server”."),
      name),
    h("div", { class: "field" }, h("label", { for: "key-role" }, "Role"), role),
    h("button", { class: "button", type: "submit" }, "Create the key"),
    shown);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!name.value.trim()) {
      shown.replaceChildren(notice("Enter a name for the key, for example “checkout server”.", "error"));
      name.focus();
      return;
    }
    try {
      const created = await post("/api/admin/keys", { name: name.value.trim(), role: role.value });
      await reload();
      name.value = "";
      shown.replaceChildren(h("div", { class: "secret" },
        h("p", {}, h("strong", {}, `The key “${created.name}” is created. Copy it now: it is shown this once, and optirec keeps only a digest of it.`)),
        h("pre", {}, h("code", { id: "new-key" }, created.key)),
        h("p", { class: "hint" }, "Send it from the server as the X-API-Key header. Never put it in a browser or an app.")));
    } catch (error) {
      shown.replaceChildren(notice(error.message, "error"));
    }
  });
  return form;
}

export async function show() {
  status = h("div", { class: "action-status" });
  const list = h("div", {});
  const reload = async () => list.replaceChildren(keysTable(await get("/api/admin/keys"), reload));
  await reload();
  render("API keys",
    h("h1", {}, "API keys"),
    h("p", { class: "lead" }, "The credentials of the shop's servers. Each creation and revocation is written to the audit log."),
    status,
    list,
    createForm(reload));
}
