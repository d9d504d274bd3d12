// Home: "For you", personalized with each item's reasons; on a first visit, the popular frames of the shopper's
// size and prescription kind once they say them.

import { customer, post } from "../api.js";
import { settled } from "../signals.js";
import { stated } from "../store.js";
import { card, cards, clearErrors, h, notice, render, showErrors } from "../ui.js";
import { describe, forRequest, KINDS, state } from "../wearer.js";

export async function show() {
  const params = new URLSearchParams(location.search);
  const signedOut = params.get("signed_out") ? notice("You have signed out. This browser no longer holds your account, cart or measurements.") : null;
  const listing = h("section", { "aria-labelledby": "for-you" });
  render("For you", h("h1", { id: "for-you" }, "For you"), signedOut, listing);
  await forYou(listing);
}

async function forYou(section) {
  await settled(); // what the shopper did on the page before is stored before the list is asked for
  let list;
  try {
    list = await post("/api/recommendations/personalized", { limit: 12, context: { page: "home" }, ...forRequest() });
  } catch (error) {
    section.replaceChildren(notice(`Recommendations are not available: ${error.message}`, "error"));
    return;
  }
  const signed = customer();
  const held = stated();
  const intro = list.fallback
    ? held?.segment && !signed
      ? `Popular with shoppers like you (${describe(held.segment)}), among frames that fit what you told us.`
      : signed
        ? "Popular frames that fit your profile. Browse a few and this list follows what you like."
        : "Popular with shoppers right now. Browse a few frames and this list follows what you like."
    : "Picked from what you have been looking at, among frames that fit you.";
  const items = list.items.map((item) => card(item.product, { recommendationId: list.recommendation_id, reasons: item.reasons }));
  section.replaceChildren(
    h("p", { class: "lead" }, intro),
    items.length ? cards(items, "Recommended for you") : notice("Nothing to recommend yet."),
    signed || held?.wearer ? null : firstVisit(section),
  );
  section.dataset.recommendationId = list.recommendation_id;
  performance.mark("optirec:recommendations-visible");
}

// The first-visit question: face width and the kind of prescription, enough to pick a segment's popular frames.
function firstVisit(section) {
  const form = h("form", { class: "panel first-visit", novalidate: true },
    h("h2", {}, "Show me frames for my size"),
    h("p", { class: "hint" }, "Two answers pick the frames that shoppers like you choose. They stay in this browser tab and are sent only with your requests; the shop does not store them."),
    h("div", { class: "field" },
      h("label", { for: "face_width_mm" }, "Face width in millimetres (optional)"),
      h("p", { class: "hint", id: "face_width_mm-hint" }, "Temple to temple, for example 136. Most adults measure 125 to 150."),
      h("input", { id: "face_width_mm", name: "face_width_mm", inputmode: "decimal", class: "input-short", "aria-describedby": "face_width_mm-hint" })),
    h("div", { class: "field" },
      h("label", { for: "prescription_kind" }, "What do your glasses correct?"),
      h("select", { id: "prescription_kind", name: "prescription_kind" },
        h("option", { value: "" }, "I'd rather not say"),
        Object.entries(KINDS).map(([value, label]) => h("option", { value }, label)))),
    h("button", { type: "submit", class: "button" }, "Show my frames"),
    h("p", {}, h("a", { href: "/shop/profile" }, "Or enter your whole prescription")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const wearer = {};
    const width = String(data.get("face_width_mm") || "").trim();
    if (width) wearer.face_width_mm = width;
    if (data.get("prescription_kind")) wearer.prescription_kind = data.get("prescription_kind");
    clearErrors(form);
    try {
      await state(wearer);
    } catch (error) {
      const errors = error.details.length
        ? error.details.map((d) => ({ id: d.field, message: d.message }))
        : [{ id: null, message: error.message }];
      showErrors(form, errors);
      return;
    }
    await forYou(section);
    section.querySelector(".lead")?.setAttribute("tabindex", "-1");
    section.querySelector(".lead")?.focus();
  });
  return form;
}
