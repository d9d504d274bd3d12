// Behaviour signals (view, add_to_cart, remove_from_cart, purchase) to POST /api/recommendations/signals.
//
// Each signal gets its event_id when it happens and waits in localStorage until the API acknowledges it. Signals
// are sent in batches a moment after they happen, and with `keepalive` when the page is left, so leaving loses
// none. A send that fails (or whose answer never came: the page was left) is sent again, with the same event_ids,
// on the next try or the next page: the API stores an event_id once and acknowledges repeats.

import { call, customer, session } from "./api.js";

const QUEUE = "optirec.signals";
const DELAY_MS = 300;
const BATCH = 100;
let timer = null;
let sending = null;
let backoff = 1000;

function queue() {
  try {
    return JSON.parse(localStorage.getItem(QUEUE) || "[]");
  } catch {
    return [];
  }
}

function save(signals) {
  if (signals.length) localStorage.setItem(QUEUE, JSON.stringify(signals));
  else localStorage.removeItem(QUEUE);
}

function eventId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Record one signal. `product` needs id (and price for a purchase); `options`: recommendationId, quantity, page.
export async function track(action, product, { recommendationId, quantity, price, page } = {}) {
  const held = await session();
  const signal = {
    event_id: eventId(),
    product_id: product.id,
    action_type: action,
    occurred_at: new Date().toISOString(),
    context: { page: page || document.body.dataset.page, device: matchMedia("(max-width: 40em)").matches ? "mobile" : "desktop" },
  };
  if (held) signal.session_id = held.id;
  const signed = customer();
  if (signed) signal.customer_id = signed.id;
  if (recommendationId) signal.recommendation_id = recommendationId;
  if (quantity) signal.quantity = quantity;
  if (price !== undefined && price !== null) signal.price = Number(price);
  save([...queue(), signal]);
  schedule(DELAY_MS);
  return signal.event_id;
}

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(() => flush().catch(() => {}), ms);
}

// Send what waits, in batches; resolves when each batch was acknowledged (or failed: it stays for the next try).
export function flush({ keepalive = false } = {}) {
  if (keepalive) return send(true); // the page is being left: no waiting for a send in flight
  if (!sending) {
    sending = send(false).finally(() => {
      sending = null;
    });
  }
  return sending;
}

// Each signal goes as the shopper it was recorded for: one made before signing in goes with the session alone, so
// that a retry after signing in is still the same event (event ids are unique per shopper).
async function send(keepalive) {
  clearTimeout(timer);
  const waiting = queue();
  const anonymous = waiting.filter((s) => !s.customer_id);
  const batches = [];
  for (const [group, alone] of [[anonymous, true], [waiting.filter((s) => s.customer_id), false]]) {
    for (let start = 0; start < group.length; start += BATCH) batches.push([group.slice(start, start + BATCH), alone]);
  }
  for (const [batch, alone] of batches) {
    try {
      const receipt = await call("POST", "/api/recommendations/signals", { json: { signals: batch }, keepalive, anonymous: alone });
      settle(batch, receipt?.errors || []);
      backoff = 1000;
    } catch (error) {
      if ([400, 403, 413, 422].includes(error.status)) {
        settle(batch, batch.map((s, index) => ({ index, message: error.message }))); // never valid: drop them
        continue;
      }
      if (!keepalive) schedule((backoff = Math.min(backoff * 2, 30000)));
      return false;
    }
  }
  return true;
}

// Acknowledged signals leave the queue; so do rejected ones (sending them again would not help).
function settle(batch, errors) {
  for (const error of errors) console.warn("signal rejected:", error.message);
  const done = new Set(batch.map((s) => s.event_id));
  save(queue().filter((s) => !done.has(s.event_id)));
}

export function pending() {
  return queue().length;
}

// Wait (briefly) until what this shopper did is stored, so the list asked for next reflects it.
export async function settled(timeoutMs = 1500) {
  if (!pending()) return;
  await Promise.race([flush(), new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
}

addEventListener("pagehide", () => {
  if (pending()) flush({ keepalive: true });
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden" && pending()) flush({ keepalive: true });
});
