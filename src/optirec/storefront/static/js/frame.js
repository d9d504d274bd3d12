// A picture of a product without a photo studio: each frame drawn as SVG from its own attributes (shape, rim type,
// colour, material, lens width and height, bridge), at its real size on a common scale, so a kids' frame looks
// smaller than an oversized one. A shop's own `image_urls` win when it has them.

const NS = "http://www.w3.org/2000/svg";
const VIEW_W = 172; // mm of face drawn: wider than the widest frame
const VIEW_H = 72;
const COLOURS = {
  black: "#1b1b1b", gold: "#b8901c", silver: "#9aa0a6", crystal: "#9fb3c2", navy: "#1f2f5c",
  brown: "#6b4226", gunmetal: "#4a4f55", red: "#b22222", green: "#2e6b3f", pink: "#c9607f", grey: "#6f6f6f",
  burgundy: "#6d1a2c", tortoise: "#6b3e1e", white: "#d9d9d9", blue: "#2a5caa",
};
const THIN = new Set(["metal", "titanium", "stainless steel"]);
let serial = 0;

function el(name, attrs = {}, ...children) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

const f = (n) => Math.round(n * 100) / 100;

// One lens outline centred on 0,0, the outer side at −x: path data.
function lensPath(shape, w, h) {
  const a = w / 2, b = h / 2;
  const rounded = (r) =>
    `M ${f(-a + r)} ${f(-b)} H ${f(a - r)} Q ${f(a)} ${f(-b)} ${f(a)} ${f(-b + r)} V ${f(b - r)} Q ${f(a)} ${f(b)} ${f(a - r)} ${f(b)} ` +
    `H ${f(-a + r)} Q ${f(-a)} ${f(b)} ${f(-a)} ${f(b - r)} V ${f(-b + r)} Q ${f(-a)} ${f(-b)} ${f(-a + r)} ${f(-b)} Z`;
  switch (shape) {
    case "round":
    case "oval":
      return `M ${f(-a)} 0 A ${f(a)} ${f(b)} 0 1 0 ${f(a)} 0 A ${f(a)} ${f(b)} 0 1 0 ${f(-a)} 0 Z`;
    case "square":
      return rounded(Math.min(w, h) * 0.16);
    case "oversized":
      return rounded(Math.min(w, h) * 0.3);
    case "wayfarer":
      return `M ${f(-a)} ${f(-b)} H ${f(a)} Q ${f(a)} ${f(b * 0.2)} ${f(a * 0.8)} ${f(b)} H ${f(-a * 0.6)} Q ${f(-a)} ${f(b)} ${f(-a)} ${f(-b)} Z`;
    case "cat-eye":
      return `M ${f(-a)} ${f(-b * 1.15)} C ${f(-a * 0.2)} ${f(-b * 1.05)} ${f(a * 0.6)} ${f(-b)} ${f(a)} ${f(-b * 0.5)} ` +
        `C ${f(a * 1.05)} ${f(b * 0.4)} ${f(a * 0.5)} ${f(b)} ${f(0)} ${f(b)} C ${f(-a * 0.7)} ${f(b)} ${f(-a)} ${f(b * 0.4)} ${f(-a)} ${f(-b * 1.15)} Z`;
    case "aviator":
      return `M ${f(-a)} ${f(-b * 0.75)} C ${f(-a * 0.5)} ${f(-b)} ${f(a * 0.5)} ${f(-b)} ${f(a)} ${f(-b * 0.8)} ` +
        `C ${f(a * 1.02)} ${f(b * 0.3)} ${f(a * 0.5)} ${f(b)} ${f(0)} ${f(b)} C ${f(-a * 0.8)} ${f(b)} ${f(-a * 1.05)} ${f(0)} ${f(-a)} ${f(-b * 0.75)} Z`;
    case "geometric": {
      const points = [0, 1, 2, 3, 4, 5].map((k) => {
        const t = (Math.PI / 3) * k + Math.PI / 6;
        return `${f(a * Math.cos(t))} ${f(b * Math.sin(t) * 1.1)}`;
      });
      return `M ${points.join(" L ")} Z`;
    }
    case "browline":
      return `M ${f(-a)} ${f(-b)} H ${f(a)} V ${f(b * 0.1)} Q ${f(a)} ${f(b)} ${f(a * 0.3)} ${f(b)} H ${f(-a * 0.3)} Q ${f(-a)} ${f(b)} ${f(-a)} ${f(b * 0.1)} Z`;
    default: // rectangle, sport and any shape a shop adds
      return rounded(Math.min(w, h) * 0.25);
  }
}

function tortoise(defs, id) {
  const pattern = el("pattern", { id, width: 9, height: 7, patternUnits: "userSpaceOnUse", patternTransform: "rotate(25)" },
    el("rect", { width: 9, height: 7, fill: "#7a4520" }),
    el("ellipse", { cx: 2.5, cy: 2, rx: 2.2, ry: 1.3, fill: "#3b1f0d" }),
    el("ellipse", { cx: 7, cy: 5, rx: 1.6, ry: 1, fill: "#b8732f" }));
  defs.append(pattern);
  return `url(#${id})`;
}

function describe(p) {
  const what = p.category === "sunglasses" ? "sunglasses" : "frame";
  return [p.shape, p.rim_type, what, p.colour && `in ${p.colour}`, p.material].filter(Boolean).join(" ");
}

// The picture of a product: its own image when it has one, else a drawing. `title`: say what it shows (a
// product page); left out where the card's text already says it (the picture is then hidden from screen readers).
export function picture(p, { title = false } = {}) {
  if (p.image_url) {
    const img = document.createElement("img");
    img.src = p.image_url;
    img.alt = title ? `${p.name}: ${describe(p)}` : "";
    img.loading = "lazy";
    img.addEventListener("error", () => img.replaceWith(drawing(p, title)), { once: true });
    return img;
  }
  return drawing(p, title);
}

export function drawing(p, title = false) {
  const svg = el("svg", { viewBox: `0 0 ${VIEW_W} ${VIEW_H}`, class: "frame-drawing", focusable: "false" });
  if (title) {
    svg.setAttribute("role", "img");
    svg.append(el("title", {}, `Drawing of ${p.name}: ${describe(p)}`));
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  const defs = el("defs");
  svg.append(defs);
  const id = `f${++serial}`;
  const colourName = (p.colour || "").toLowerCase();
  const colour = colourName === "tortoise" ? tortoise(defs, `${id}-t`) : COLOURS[colourName] || "#3a3a3a";
  if (p.category !== "eyeglasses" && p.category !== "sunglasses") {
    svg.append(accessory(p, colour));
    return svg;
  }
  const sun = p.category === "sunglasses";
  const lw = p.lens_width_mm || 52;
  const lh = p.lens_height_mm || lw * 0.75;
  const bridge = p.bridge_mm || 18;
  const cx = VIEW_W / 2, cy = VIEW_H / 2 + 3;
  const offset = bridge / 2 + lw / 2;
  const material = (p.material || "").toLowerCase();
  const rim = p.rim_type || "full-rim";
  const weight = THIN.has(material) ? 1.3 : material === "acetate" ? 3.4 : 2.6;
  const path = lensPath(p.shape, lw, lh);
  const lensFill = sun ? (colourName === "gold" ? "#5b4a2a" : "#2f3a3a") : "#e6f1f8";
  const lensOpacity = sun ? 0.88 : 0.55;
  const rimColour = colourName === "crystal" ? "#9fb3c2" : colour;
  const clip = el("clipPath", { id: `${id}-top` }, el("rect", { x: -lw, y: -lh, width: 2 * lw, height: lh * 0.95 }));
  defs.append(clip);
  for (const side of [-1, 1]) {
    const g = el("g", { transform: `translate(${f(cx + side * offset)} ${f(cy)}) scale(${-side} 1)` });
    g.append(el("path", { d: path, fill: lensFill, "fill-opacity": lensOpacity, stroke: rim === "rimless" ? "#9aa7b0" : "none", "stroke-width": 0.6 }));
    if (rim === "full-rim") {
      g.append(el("path", { d: path, fill: "none", stroke: rimColour, "stroke-width": weight, "stroke-linejoin": "round" }));
    } else if (rim === "semi-rimless") {
      g.append(el("path", { d: path, fill: "none", stroke: "#9aa7b0", "stroke-width": 0.5 }));
      g.append(el("path", { d: path, fill: "none", stroke: rimColour, "stroke-width": weight + 0.6, "clip-path": `url(#${id}-top)` }));
    }
    if (p.shape === "browline") {
      g.append(el("path", { d: `M ${f(-lw / 2)} ${f(-lh / 2)} H ${f(lw / 2)}`, stroke: rimColour, "stroke-width": weight + 3, "stroke-linecap": "round" }));
    }
    // end piece, towards the temple (outer side, −x)
    const top = -lh / 2 + Math.min(6, lh * 0.2);
    g.append(el("path", { d: `M ${f(-lw / 2)} ${f(top)} h -5`, stroke: rimColour, "stroke-width": Math.max(weight, 2), "stroke-linecap": "round" }));
    if (THIN.has(material) || rim !== "full-rim") {
      g.append(el("ellipse", { cx: f(lw / 2 - 3), cy: f(lh * 0.12), rx: 1.4, ry: 2.4, fill: "#dfe6ea", stroke: "#9aa7b0", "stroke-width": 0.4 }));
    }
    svg.append(g);
  }
  // the bridge between the nasal edges
  const nasal = bridge / 2;
  const y = cy - lh * (p.shape === "aviator" ? 0.38 : 0.3);
  svg.append(el("path", { d: `M ${f(cx - nasal - 0.5)} ${f(y)} Q ${f(cx)} ${f(y - Math.min(5, bridge * 0.3))} ${f(cx + nasal + 0.5)} ${f(y)}`, fill: "none", stroke: rimColour, "stroke-width": Math.max(weight, 1.6), "stroke-linecap": "round" }));
  if (p.shape === "aviator") {
    const top = cy - lh / 2 - 0.5;
    svg.append(el("path", { d: `M ${f(cx - nasal - 3)} ${f(top)} H ${f(cx + nasal + 3)}`, stroke: rimColour, "stroke-width": 1.3 }));
  }
  return svg;
}

function accessory(p, colour) {
  const name = (p.name || "").toLowerCase();
  const g = el("g", { fill: "none", stroke: "#2d3a40", "stroke-width": 1.4, "stroke-linejoin": "round", "stroke-linecap": "round" });
  if (name.includes("clip")) {
    for (const x of [58, 114]) g.append(el("ellipse", { cx: x, cy: 38, rx: 24, ry: 17, fill: "#2f3a3a", "fill-opacity": 0.85 }));
    g.append(el("path", { d: "M 82 30 H 90 M 58 21 v -5 M 114 21 v -5" }));
  } else if (name.includes("chain") || name.includes("cord")) {
    g.append(el("path", { d: "M 20 20 C 40 70, 132 70, 152 20", "stroke-dasharray": name.includes("chain") ? "3 2" : null, stroke: colour, "stroke-width": 2.4 }));
    for (const x of [20, 152]) g.append(el("circle", { cx: x, cy: 18, r: 5 }));
  } else if (name.includes("spray") || name.includes("kit")) {
    g.append(el("rect", { x: 72, y: 22, width: 28, height: 42, rx: 5, fill: "#e6f1f8" }));
    g.append(el("path", { d: "M 80 22 v -8 h 12 v 8 M 92 14 h 8" }));
    if (name.includes("kit")) g.append(el("rect", { x: 106, y: 36, width: 34, height: 28, rx: 2, fill: colour }));
  } else if (name.includes("cloth")) {
    g.append(el("rect", { x: 56, y: 10, width: 60, height: 54, rx: 3, fill: colour, "fill-opacity": 0.5 }));
    g.append(el("path", { d: "M 56 24 L 102 64 M 70 10 L 116 50", "stroke-opacity": 0.4 }));
  } else {
    g.append(el("rect", { x: 30, y: 18, width: 112, height: 40, rx: 18, fill: colour }));
    g.append(el("path", { d: "M 32 38 H 140", stroke: "#ffffff", "stroke-opacity": 0.5 }));
  }
  return g;
}
