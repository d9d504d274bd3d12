// What the browser keeps between pages: the cart (this browser), and what an anonymous shopper said of their
// eyes and face (this tab only: it is health data, sent with each request and never stored by the shop).

const CART = "optirec.cart";
const WEARER = "optirec.wearer";

export function cart() {
  try {
    return JSON.parse(localStorage.getItem(CART) || "[]");
  } catch {
    return [];
  }
}

export function saveCart(lines) {
  localStorage.setItem(CART, JSON.stringify(lines));
  document.dispatchEvent(new CustomEvent("optirec:cart"));
}

// A cart line: {id, name, brand, price, currency, category, quantity, recommendation_id, product (the summary)}.
export function addToCart(product, quantity, recommendationId) {
  const lines = cart();
  const line = lines.find((l) => l.id === product.id);
  if (line) {
    line.quantity += quantity;
    line.recommendation_id = recommendationId || line.recommendation_id;
  } else {
    lines.push({
      id: product.id,
      name: product.name,
      price: Number(product.price),
      currency: product.currency,
      quantity,
      recommendation_id: recommendationId || null,
      product: summary(product),
    });
  }
  saveCart(lines);
}

export function setQuantity(id, quantity) {
  saveCart(cart().flatMap((l) => (l.id !== id ? [l] : quantity > 0 ? [{ ...l, quantity }] : [])));
}

export function emptyCart() {
  saveCart([]);
}

// What a card and a drawing need of a product.
export function summary(p) {
  const keys = ["id", "name", "brand", "category", "shape", "colour", "material", "rim_type", "lens_width_mm",
    "lens_height_mm", "bridge_mm", "price", "currency", "image_url"];
  const out = Object.fromEntries(keys.map((k) => [k, p[k] ?? null]));
  if (!out.image_url && p.image_urls?.length) out.image_url = p.image_urls[0];
  return out;
}

// {wearer: the stated wearer as the API takes it, segment: {prescription_kind, face_size}} or null.
export function stated() {
  try {
    return JSON.parse(sessionStorage.getItem(WEARER) || "null");
  } catch {
    return null;
  }
}

export function wearer() {
  return stated()?.wearer || null;
}

export function saveWearer(wearer, segment) {
  if (wearer && Object.keys(wearer).length) sessionStorage.setItem(WEARER, JSON.stringify({ wearer, segment }));
  else sessionStorage.removeItem(WEARER);
}
