// Who the lists and fit answers are for: a signed-in customer's stored profile applies on its own (their token);
// an anonymous shopper's stated wearer travels in the request body.

import { customer, post } from "./api.js";
import { saveWearer, stated } from "./store.js";

export const KINDS = {
  none: "No prescription",
  myopia: "Short sight (minus numbers)",
  hyperopia: "Long sight (plus numbers)",
  multifocal: "Varifocals or reading addition (an ADD)",
};
export const SIZES = { narrow: "a narrow face", medium: "a medium face", wide: "a wide face", unknown: "any face size" };

// The body fields that say who the shopper is, for a list or a fit request.
export function forRequest() {
  const held = stated();
  return !customer() && held?.wearer ? { wearer: held.wearer } : {};
}

// Check a stated wearer with the API (422 with the profile's messages) and keep it for this tab.
export async function state(wearer) {
  const segment = await post("/api/fit/wearer", wearer);
  saveWearer(wearer, segment);
  return segment;
}

export function describe(segment) {
  if (!segment) return "";
  return `${KINDS[segment.prescription_kind] || segment.prescription_kind}, ${SIZES[segment.face_size] || ""}`;
}
