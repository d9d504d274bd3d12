"""One frame model of the demo shop: attributes, measurements, prescription range and price, drawn coherently.

Sizes follow what frame makers print on the temple (lens–bridge–temple): adult lens widths cluster around
52 mm (44–62), bridges around 18 mm (14–24), temples at 135–150 mm; kids' frames are 40–49 / 14–18 / 120–135.
Prescription ranges narrow with rimless and semi-rimless mounts and with large lenses (see docs/eyewear.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optirec.demo import vocab


@dataclass(frozen=True)
class FrameSpec:
    """Everything a model's colour variants share."""

    brand: str
    brand_code: int
    tier: str
    model_name: str
    sun: bool
    kids: bool
    shape: str
    material: str
    rim: str
    gender: str
    lens_width: float
    bridge: float
    temple: float
    lens_height: float
    frame_width: float
    rx_capable: bool
    sphere_min: float | None
    sphere_max: float | None
    cylinder_max: float | None
    progressive: bool
    price: float
    weight_g: int


def _pick(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...]) -> str:
    return vocab.values(pairs)[int(rng.choice(len(pairs), p=vocab.shares(pairs)))]


def _brand(rng: np.random.Generator, sun: bool, kids: bool) -> int:
    """A brand index, its share boosted where its focus matches (kids' brands only make kids' frames)."""
    weights = []
    for _, _, focus, share in vocab.BRANDS:
        if focus == "kids":
            weights.append(share * 8 if kids else 0.0)
        elif kids:
            weights.append(share * 0.1)
        else:
            weights.append(share * (3.0 if focus == "sun" and sun else 0.3 if focus == "sun" else 1.0))
    p = np.array(weights) / sum(weights)
    return int(rng.choice(len(weights), p=p))


def _sizes(rng: np.random.Generator, shape: str, kids: bool, sun: bool) -> tuple[float, float, float, float, float]:
    """Lens width, bridge, temple, lens height and total width (mm)."""
    if kids:
        width = float(np.clip(round(rng.normal(44, 2.5)), 40, 49))
        bridge = float(np.clip(round(rng.normal(16, 1.2)), 14, 18))
        temple = float(rng.choice([120, 125, 130, 135]))
    else:
        mean = 52 + (3 if sun else 0) + (3 if shape == "oversized" else 0)
        width = float(np.clip(round(rng.normal(mean, 3)), 44, 62))
        bridge = float(np.clip(round(rng.normal(18, 1.6)), 14, 24))
        temple = float(rng.choice([135, 140, 145, 150], p=[0.2, 0.45, 0.25, 0.1]))
    height = float(np.clip(round(width * vocab.HEIGHT_RATIO[shape] + rng.normal(0, 2)), 25, 55))
    frame = float(2 * width + bridge + 2 * round(rng.uniform(5, 9)))
    return width, bridge, temple, height, frame


def _rx_range(rim: str, width: float, tier: str) -> tuple[float, float, float]:
    """Sphere min, sphere max and cylinder max a frame takes: rim type first, then lens size and lens options."""
    if rim == "rimless":
        lo, hi, cyl = -4.0, 4.0, 2.0
    elif rim == "semi-rimless":
        lo, hi, cyl = -6.0, 4.0, 3.0
    else:
        lo, hi, cyl = (-10.0, 6.0, 4.0) if width <= 52 else (-8.0, 6.0, 4.0) if width <= 56 else (-6.0, 4.0, 4.0)
    if tier in ("premium", "luxury") and rim == "full-rim":
        lo, hi = lo - 2.0, hi + 2.0  # high-index lens options
    return lo, hi, cyl


def _price(rng: np.random.Generator, tier: str, material: str, sun: bool, kids: bool) -> float:
    """A shelf price ending in .95 (or .00 in luxury), log-normal around the tier's median."""
    base = vocab.TIER_PRICE[tier] * (1.3 if material == "titanium" else 1.0) * (1.05 if sun else 1.0)
    base *= 0.6 if kids else 1.0
    value = max(19.0, base * float(rng.lognormal(0.0, 0.22)))
    return float(round(value, -1) if tier == "luxury" else round(value) - 0.05)


def draw_frame(rng: np.random.Generator, sun: bool, kids: bool, number: int) -> FrameSpec:
    """Frame model `number`, its attributes coherent with each other."""
    brand_code = _brand(rng, sun, kids)
    brand, tier, _, _ = vocab.BRANDS[brand_code]
    shape = _pick(rng, vocab.SUN_SHAPES if sun else vocab.GLASSES_SHAPES)
    rim = vocab.RIMS[int(rng.choice(3, p=vocab.SUN_RIM_SHARES if sun else vocab.GLASSES_RIM_SHARES))]
    if kids or shape == "sport":
        rim = "full-rim"
    material = _pick(rng, vocab.MATERIALS)
    if rim == "rimless":
        material = "titanium" if rng.random() < 0.6 else "metal"
    elif kids:
        material = "tr90" if rng.random() < 0.6 else "acetate"
    gender = _pick(rng, vocab.GENDERS)
    if shape == "cat-eye":
        gender = "women" if rng.random() < 0.8 else "unisex"
    elif shape == "browline":
        gender = "men" if rng.random() < 0.6 else "unisex"
    width, bridge, temple, height, frame = _sizes(rng, shape, kids, sun)
    rx_capable = bool(rng.random() < (0.98 if not sun else 0.15 if shape == "sport" else 0.45))
    lo, hi, cyl = _rx_range(rim, width, tier) if rx_capable else (None, None, None)
    progressive = bool(rx_capable and not kids and height >= 28 and rng.random() < 0.85)
    name = vocab.MODEL_NAMES[int(rng.integers(len(vocab.MODEL_NAMES)))]
    return FrameSpec(
        brand=brand, brand_code=brand_code, tier=tier, model_name=f"{name} {100 + number}",
        sun=sun, kids=kids, shape=shape, material=material, rim=rim, gender=gender,
        lens_width=width, bridge=bridge, temple=temple, lens_height=height, frame_width=frame,
        rx_capable=rx_capable, sphere_min=lo, sphere_max=hi, cylinder_max=cyl, progressive=progressive,
        price=_price(rng, tier, material, sun, kids), weight_g=round(width * (0.35 if rim == "rimless" else 0.5)),
    )  # fmt: skip


def frame_description(spec: FrameSpec, colour: str) -> str:
    """A description written from the attributes."""
    kind = "sunglasses" if spec.sun else "glasses"
    who = "for kids" if spec.kids else {"women": "for women", "men": "for men"}.get(spec.gender, "for everyone")
    size = f"{spec.lens_width:g}-{spec.bridge:g}-{spec.temple:g}"
    text = (
        f"{spec.shape.replace('-', ' ').capitalize()} {spec.rim.replace('-', ' ')} {kind} {who} in {colour} "
        f"{spec.material}, size {size} with {spec.lens_height:g} mm tall lenses and a "
        f"{spec.frame_width:g} mm front, about {spec.weight_g} g."
    )
    if spec.rx_capable and spec.sphere_min is not None and spec.sphere_max is not None:
        text += f" Takes prescriptions from {spec.sphere_min:+.2f} to {spec.sphere_max:+.2f}"
        text += f" (cylinder up to {spec.cylinder_max:.2f})" if spec.cylinder_max else ""
        text += ", progressive lenses too." if spec.progressive else "."
    elif spec.sun:
        text += " Non-prescription sun lenses with UV400 protection."
    return text
