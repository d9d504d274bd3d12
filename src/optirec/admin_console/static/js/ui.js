// Small DOM helpers and number formats shared by the console's pages.

// h("a", {href: "/x", class: "y"}, "text", child…): an element; `on*` attributes become listeners.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function main() {
  return document.getElementById("main");
}

export function render(title, ...content) {
  document.title = `${title} · optirec console`;
  main().replaceChildren(...content.filter((c) => c !== null && c !== undefined));
}

export function notice(text, kind = "info") {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

// An empty state: what is missing, and the command or page that fills it.
export function empty(text, command) {
  return h("div", { class: "empty" }, h("p", {}, text), command ? h("pre", {}, h("code", {}, command)) : null);
}

// --- numbers and times for people -------------------------------------------------------------------------------

const whole = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });
const cents = new Intl.NumberFormat("en-GB", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const relative = new Intl.RelativeTimeFormat("en-GB", { numeric: "auto" });
const absolute = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export const count = (n) => whole.format(Number(n) || 0);

// A share with sensible precision: 12.3%, 0.45%, and 50% (not 50.0%) for a round one.
export function percent(share) {
  const value = (Number(share) || 0) * 100;
  if (Math.abs(value - Math.round(value)) < 1e-6) return `${Math.round(value)}%`;
  return `${value.toFixed(value >= 1 ? 1 : 2)}%`;
}

export const money = (n) => (Math.abs(n) >= 1000 ? whole : cents).format(Number(n) || 0);

export function ago(iso) {
  if (!iso) return "never";
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const steps = [[60, "second"], [60, "minute"], [24, "hour"], [30, "day"], [12, "month"], [Infinity, "year"]];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return relative.format(Math.round(value), "year");
}

// A time as people read it ("5 minutes ago"), the exact UTC time on hover and for assistive technology.
export function when(iso) {
  if (!iso) return h("span", {}, "never");
  return h("time", { datetime: iso, title: `${absolute.format(new Date(iso))} UTC` }, ago(iso));
}

export const exact = (iso) => (iso ? `${absolute.format(new Date(iso))} UTC` : "—");

// --- pieces -----------------------------------------------------------------------------------------------------

// A big number with its label and notes; `small` for a long value (a model version's name).
export function stat(label, value, ...notes) {
  const small = notes[0] === "small";
  if (small) notes.shift();
  return h("div", { class: "stat" },
    h("dt", {}, label),
    h("dd", {}, h("span", { class: small ? "stat-value stat-value-small" : "stat-value" }, value), ...notes.filter(Boolean).map((n) => h("span", { class: "stat-note" }, n))));
}

// A wide table scrolls sideways on a phone: its box is a named region a keyboard can reach (and scroll).
export function scroller(label, content) {
  return h("div", { class: "table-wrap", role: "region", "aria-label": label, tabindex: "0" }, content);
}

export function table(caption, head, rows, { numeric = [] } = {}) {
  const cell = (tag, value, k) => h(tag, numeric.includes(k) ? { class: "num" } : {}, value);
  return scroller(caption,
    h("table", {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, head.map((name, k) => h("th", { scope: "col", ...(numeric.includes(k) ? { class: "num" } : {}) }, name)))),
      h("tbody", {}, rows.map((row) => h("tr", {}, row.map((value, k) => cell("td", value, k)))))));
}

// A modal question with a named action and Cancel; resolves true when the action is chosen. Focus goes to Cancel
// (the safe answer) and comes back where it was.
export function confirm(title, text, action, { danger = false } = {}) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "dialog-title" },
      h("h2", { id: "dialog-title" }, title),
      h("p", {}, text),
      h("form", { method: "dialog", class: "dialog-actions" },
        h("button", { class: `button${danger ? " button-warning" : ""}`, value: "yes" }, action),
        h("button", { class: "button button-secondary", value: "no", autofocus: true }, "Cancel")));
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (back && back.focus) back.focus();
      resolve(dialog.returnValue === "yes");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
