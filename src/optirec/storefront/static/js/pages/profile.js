// Profile: the prescription as opticians write it (right and left eye: SPH, CYL, AXIS, ADD; PD), face width with
// how to measure it, preferences and budget; the API's validation messages beside each field. Signed in, it is the
// customer's stored profile (with export and delete); anonymous, it stays in this tab and goes with each request.

import { customer, del, get, call, post } from "../api.js";
import { signOut } from "../account.js";
import { stated } from "../store.js";
import { clearErrors, h, notice, render, showErrors } from "../ui.js";
import { KINDS, state } from "../wearer.js";

const EYES = [["right", "Right eye (OD)"], ["left", "Left eye (OS)"]];
const PARTS = [["sph", "SPH", "Sphere"], ["cyl", "CYL", "Cylinder"], ["axis", "AXIS", "Axis"], ["add", "ADD", "Addition"]];
const MISSING = {
  sph: (eye) => `Enter the sphere (SPH) of your ${eye} eye as on your prescription, for example −2.25`,
};
const RIMS = ["full-rim", "semi-rimless", "rimless"];

export async function show() {
  const signed = customer();
  let profile = {};
  let facets = { shape: [], material: [] };
  try {
    const [me, listing] = await Promise.all([
      signed ? get("/api/customers/me") : Promise.resolve(null),
      post("/api/fit/products", { limit: 1 }),
    ]);
    profile = me ? me.profile : stated()?.wearer || {};
    facets = listing.facets;
  } catch (error) {
    render("Your measurements", h("h1", {}, "Your measurements"), notice(error.message, "error"));
    return;
  }
  const form = h("form", { class: "profile", novalidate: true },
    prescriptionTable(profile.prescription),
    signed ? null : kindField(profile.prescription_kind),
    numberField("pd_mm", "Pupillary distance (PD) in millimetres", profile.pd_mm,
      "On many prescriptions, written PD. For example 62 or 62.5.",
      "Looking straight ahead into a mirror, hold a ruler flat under your eyes and measure from the centre of one pupil to the centre of the other. Or ask your optician: it is part of an eye test."),
    numberField("face_width_mm", "Face width in millimetres", profile.face_width_mm,
      "Temple to temple, for example 136. Most adults measure between 125 and 150.",
      "Hold a ruler level across your face at eye height, in front of a mirror, and measure from one temple to the other: the widest point just in front of your ears. Or measure a pair of glasses that fit you well across the front, hinge to hinge."),
    signed ? preferences(profile, facets) : null,
    h("button", { type: "submit", class: "button" }, "Save"));
  const saved = h("div", { role: "status" });
  form.addEventListener("submit", (event) => save(event, form, saved));
  render("Your measurements",
    h("h1", {}, "Your measurements"),
    h("p", { class: "lead" }, signed
      ? `Signed in as ${signed.email}. Frames are checked against what you save here, and lists show only frames that fit.`
      : "Copy your prescription as your optician wrote it. It stays in this browser tab only and goes with each request; the shop does not store it. Sign in to keep it."),
    saved, form,
    signed ? yourData() : null);
}

function prescriptionTable(rx) {
  const input = (eye, part, label) => {
    const id = `prescription.${eye}.${part}`;
    const value = rx?.[eye]?.[part];
    return h("td", {},
      h("label", { for: id, class: "visually-hidden" }, `${eye === "right" ? "Right" : "Left"} eye ${label}`),
      h("input", { id, name: id, inputmode: part === "axis" ? "numeric" : "decimal", autocomplete: "off", class: "input-rx",
        value: value == null ? "" : part === "axis" ? String(value) : signed(value), "aria-describedby": "rx-hint" }));
  };
  return h("fieldset", { class: "rx" },
    h("legend", {}, h("h2", {}, "Your prescription")),
    h("p", { class: "hint", id: "rx-hint" }, "As on your prescription: SPH and CYL in steps of 0.25 (for example −2.25), AXIS in degrees (1 to 180) when there is a CYL, ADD only for reading or varifocal lenses. Leave a box empty when your prescription has nothing there."),
    h("table", {},
      h("thead", {}, h("tr", {}, h("td", {}), PARTS.map(([, short, long]) => h("th", { scope: "col" }, h("abbr", { title: long }, short))))),
      h("tbody", {}, EYES.map(([eye, label]) => h("tr", {}, h("th", { scope: "row" }, label), PARTS.map(([part, , long]) => input(eye, part, long)))))));
}

function signed(value) {
  const n = Number(value);
  return n === 0 ? "0.00" : `${n > 0 ? "+" : "\u2212"}${Math.abs(n).toFixed(2)}`;
}

function kindField(kind) {
  return h("div", { class: "field" },
    h("label", { for: "prescription_kind" }, "No prescription at hand? What do your glasses correct?"),
    h("p", { class: "hint", id: "prescription_kind-hint" }, "Enough to show what shoppers like you choose; only the prescription itself lets us check each frame."),
    h("select", { id: "prescription_kind", name: "prescription_kind", "aria-describedby": "prescription_kind-hint" },
      h("option", { value: "" }, "I'd rather not say"),
      Object.entries(KINDS).map(([value, label]) => h("option", { value, selected: value === kind }, label))));
}

function numberField(id, label, value, hint, howTo) {
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("p", { class: "hint", id: `${id}-hint` }, hint),
    h("details", {}, h("summary", {}, "How to measure it"), h("p", {}, howTo)),
    h("input", { id, name: id, inputmode: "decimal", class: "input-short", value: value ?? "", "aria-describedby": `${id}-hint` }));
}

function checkboxes(name, legend, values, chosen) {
  return h("fieldset", { class: "checkboxes" },
    h("legend", {}, legend),
    values.map((value) => {
      const id = `${name}-${value.replace(/\W+/g, "-")}`;
      return h("div", { class: "checkbox" },
        h("input", { type: "checkbox", id, name, value, checked: chosen.includes(value) }),
        h("label", { for: id }, value.replace(/-/g, " ")));
    }));
}

function preferences(profile, facets) {
  const prefs = profile.preferences || {};
  return h("fieldset", { class: "prefs" },
    h("legend", {}, h("h2", {}, "What you like")),
    checkboxes("shapes", "Shapes", facets.shape, prefs.shapes || []),
    checkboxes("materials", "Materials", facets.material, prefs.materials || []),
    checkboxes("rim_types", "Rims", RIMS, prefs.rim_types || []),
    h("div", { class: "field" }, h("label", { for: "budget_min" }, "Budget from (euros)"),
      h("input", { id: "budget_min", name: "budget_min", inputmode: "decimal", class: "input-short", value: profile.budget_min ?? "" })),
    h("div", { class: "field" }, h("label", { for: "budget_max" }, "Budget up to (euros)"),
      h("input", { id: "budget_max", name: "budget_max", inputmode: "decimal", class: "input-short", value: profile.budget_max ?? "" })),
    h("div", { class: "checkbox" },
      h("input", { type: "checkbox", id: "consent", name: "consent", checked: profile.consent?.personalization !== false }),
      h("label", { for: "consent" }, "Use what I browse and buy to choose what I am shown")));
}

// A box as the API takes it: the minus sign as typed on phones and in prescriptions made ASCII, "+" dropped.
function number(form, id) {
  const raw = (form.elements.namedItem(id)?.value || "").trim().replace(/[\u2212\u2013]/g, "-").replace(",", ".").replace(/^\+/, "");
  return raw === "" ? null : /^pl(ano)?$/i.test(raw) ? "0" : raw;
}

function readPrescription(form, errors) {
  const eyes = {};
  for (const [eye] of EYES) {
    const values = Object.fromEntries(PARTS.map(([part]) => [part, number(form, `prescription.${eye}.${part}`)]));
    if (Object.values(values).some((v) => v !== null)) eyes[eye] = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null));
  }
  if (!eyes.right && !eyes.left) return null;
  for (const [eye] of EYES) {
    if (!eyes[eye]?.sph) errors.push({ id: `prescription.${eye}.sph`, message: MISSING.sph(eye) });
  }
  return { right: eyes.right || {}, left: eyes.left || {} };
}

function read(form, errors) {
  const data = new FormData(form);
  const body = {
    prescription: readPrescription(form, errors),
    pd_mm: number(form, "pd_mm"),
    face_width_mm: number(form, "face_width_mm"),
  };
  if (!customer()) {
    if (data.get("prescription_kind") && !body.prescription) body.prescription_kind = data.get("prescription_kind");
    return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
  }
  return {
    ...body,
    preferences: { shapes: data.getAll("shapes"), materials: data.getAll("materials"), rim_types: data.getAll("rim_types") },
    budget_min: number(form, "budget_min"),
    budget_max: number(form, "budget_max"),
    consent: { personalization: data.get("consent") === "on" },
  };
}

// Where the API's message goes: its field, or the box a cross-field rule is about.
function place(detail) {
  const field = detail.field || "";
  if (/^prescription\.(right|left)$/.test(field)) return `${field}.${/axis/i.test(detail.message) ? "axis" : "cyl"}`;
  if (!field && /budget/i.test(detail.message)) return "budget_max";
  if (!field && /kind/i.test(detail.message)) return "prescription_kind";
  return document.getElementById(field) ? field : null;
}

async function save(event, form, saved) {
  event.preventDefault();
  clearErrors(form);
  saved.replaceChildren();
  const errors = [];
  const body = read(form, errors);
  if (errors.length) return showErrors(form, errors);
  try {
    if (customer()) await call("PATCH", "/api/customers/me", { json: body });
    else await state(body);
  } catch (error) {
    const found = error.details.length ? error.details.map((d) => ({ id: place(d), message: d.message })) : [{ id: null, message: error.message }];
    return showErrors(form, found);
  }
  saved.replaceChildren(notice("Saved. Fit checks and lists now use these measurements."));
  saved.querySelector(".notice").setAttribute("tabindex", "-1");
  saved.querySelector(".notice").focus();
}

function yourData() {
  const status = h("div", { role: "status" });
  const exportButton = h("button", { type: "button", class: "button button-secondary" }, "Download my data");
  exportButton.addEventListener("click", async () => {
    const data = await get("/api/customers/me/export");
    const link = h("a", { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" })), download: "my-optirec-data.json" });
    document.body.append(link);
    link.click();
    link.remove();
    status.replaceChildren(notice("Your data was downloaded as my-optirec-data.json."));
  });
  const confirm = h("div", { class: "confirm", hidden: true },
    h("p", {}, "This erases your account, prescription, measurements and everything you browsed and bought. It cannot be undone."),
    h("button", { type: "button", class: "button button-warning", onclick: erase }, "Yes, delete my account"));
  const deleteButton = h("button", { type: "button", class: "button button-warning", "aria-expanded": "false" }, "Delete my account and data");
  deleteButton.addEventListener("click", () => {
    confirm.hidden = !confirm.hidden;
    deleteButton.setAttribute("aria-expanded", String(!confirm.hidden));
  });
  async function erase() {
    try {
      await del("/api/customers/me");
    } catch (error) {
      status.replaceChildren(notice(error.message, "error"));
      return;
    }
    await signOut();
  }
  return h("section", { class: "your-data", "aria-labelledby": "data-title" },
    h("h2", { id: "data-title" }, "Your data"),
    h("p", {}, "Everything the shop holds on you: your account, profile, what you browsed and bought, and the lists you were shown."),
    exportButton, deleteButton, confirm, status);
}
