"""The demo shop's vocabularies and their shares, each written as (value, share) pairs.

Shares follow what optical retail reports (see docs/eyewear.md): full-rim acetate and metal frames dominate,
black and tortoise lead the colours, rectangle and square the adult eyeglass shapes, aviators and "wayfarer"
(trapezoid) shapes the sunglasses. Brand names are invented; their sizes follow a long tail.
"""

from __future__ import annotations

# brand, price tier, audience focus ("all", "kids", "sun"), share of models
BRANDS: tuple[tuple[str, str, str, float], ...] = (
    ("Northlight", "mid", "all", 0.12),
    ("Vista & Co", "mid", "all", 0.10),
    ("Optika Basics", "budget", "all", 0.10),
    ("Brightside", "budget", "all", 0.07),
    ("Kestrel", "mid", "all", 0.07),
    ("Halden", "premium", "all", 0.06),
    ("Tessera", "premium", "all", 0.05),
    ("Fieldcraft", "mid", "all", 0.05),
    ("Maison Verre", "luxury", "all", 0.04),
    ("Aurel", "luxury", "all", 0.03),
    ("Nordvik", "premium", "all", 0.04),
    ("Alder & Finch", "mid", "all", 0.04),
    ("Solstice", "mid", "sun", 0.06),
    ("Riviera Sun", "premium", "sun", 0.04),
    ("Little Owl", "budget", "kids", 0.05),
    ("Mini Specs", "mid", "kids", 0.04),
    ("Harbour Eyewear", "budget", "all", 0.04),
)
TIER_PRICE = {"budget": 59.0, "mid": 119.0, "premium": 199.0, "luxury": 329.0}

GLASSES_SHAPES = (
    ("rectangle", 0.24), ("square", 0.16), ("round", 0.15), ("oval", 0.10), ("cat-eye", 0.10),
    ("wayfarer", 0.07), ("geometric", 0.07), ("browline", 0.06), ("aviator", 0.05),
)  # fmt: skip
SUN_SHAPES = (
    ("aviator", 0.22), ("wayfarer", 0.20), ("round", 0.12), ("cat-eye", 0.12), ("square", 0.12),
    ("rectangle", 0.08), ("oversized", 0.08), ("sport", 0.06),
)  # fmt: skip
SHAPES = tuple(dict.fromkeys(s for s, _ in GLASSES_SHAPES + SUN_SHAPES))
# lens height ÷ lens width of each shape
HEIGHT_RATIO = {
    "rectangle": 0.62, "square": 0.80, "round": 0.92, "oval": 0.72, "cat-eye": 0.72, "wayfarer": 0.78,
    "geometric": 0.85, "browline": 0.76, "aviator": 0.88, "oversized": 0.90, "sport": 0.70,
}  # fmt: skip
MATERIALS = (
    ("acetate", 0.42), ("metal", 0.20), ("titanium", 0.12), ("tr90", 0.10), ("stainless steel", 0.08),
    ("mixed", 0.08),
)  # fmt: skip
COLOURS = (
    ("black", 0.24), ("tortoise", 0.18), ("gold", 0.08), ("silver", 0.07), ("crystal", 0.07), ("navy", 0.06),
    ("brown", 0.06), ("gunmetal", 0.05), ("red", 0.04), ("green", 0.04), ("pink", 0.04), ("grey", 0.04),
    ("burgundy", 0.03),
)  # fmt: skip
RIMS = ("full-rim", "semi-rimless", "rimless")
GLASSES_RIM_SHARES = (0.72, 0.16, 0.12)
SUN_RIM_SHARES = (0.90, 0.08, 0.02)
GENDERS = (("unisex", 0.50), ("women", 0.28), ("men", 0.22))
ACCESSORIES = (
    ("Hard case", 9.0, 29.0), ("Cleaning kit", 6.0, 15.0), ("Glasses chain", 12.0, 39.0),
    ("Sports cord", 5.0, 12.0), ("Microfibre cloth", 4.0, 9.0), ("Anti-fog spray", 8.0, 14.0),
    ("Clip-on sun lenses", 25.0, 49.0),
)  # fmt: skip
MODEL_NAMES = (
    "Avery", "Bexley", "Carlton", "Delphine", "Ellis", "Fenwick", "Greer", "Hollis", "Ingram", "Juno", "Keaton",
    "Linden", "Marlow", "Nico", "Orla", "Perrin", "Quincy", "Rowan", "Sloane", "Tamsin", "Ulla", "Vesper",
    "Wren", "Xavi", "Yara", "Zeke", "Arlo", "Blythe", "Cove", "Dune", "Esme", "Flint", "Gaia", "Hale", "Isla",
    "Jasper", "Kai", "Lark", "Milo", "Nell", "Otis", "Pia", "Remy", "Sage", "Theo", "Uma", "Vale", "Willa",
)  # fmt: skip


def values(pairs: tuple[tuple[str, float], ...]) -> tuple[str, ...]:
    """The values of (value, share) pairs."""
    return tuple(v for v, _ in pairs)


def shares(pairs: tuple[tuple[str, float], ...]) -> list[float]:
    """The shares of (value, share) pairs, normalised to sum to 1."""
    total = sum(s for _, s in pairs)
    return [s / total for _, s in pairs]
