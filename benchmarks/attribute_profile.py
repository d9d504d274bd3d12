"""What the attribute profile (`recommend.profile`) adds to a list: `attribute_profile` and its standardised addition
to the blend (`kernels.add_standardised`) over a catalogue of the demo generator's products, for a shopper with the
50 signals a list reads.

`python -m benchmarks.attribute_profile [--products 50000]` prints the best and median time a list over 15 runs of 100.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from optirec.demo.catalog import generate_catalog
from optirec.recommend.kernels import add_standardised
from optirec.recommend.profile import PROFILE_COLUMNS, attribute_codes, attribute_profile, attribute_shares
from optirec.store.shopper import HISTORY_LIMIT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=50_000)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    products = generate_catalog(rng, args.products).products[: args.products]
    price = np.array([float(p.price) for p in products])
    codes = attribute_codes([[getattr(p, c, None) for c in PROFILE_COLUMNS] for p in products], price)
    sellable = np.ones(len(products), dtype=np.bool_)
    shares = attribute_shares(codes, sellable)
    history = rng.integers(0, len(products), HISTORY_LIMIT)
    total = np.zeros(len(products))
    add_standardised(total, sellable, attribute_profile(codes, shares, history), 10.0)  # compiled (or loaded)
    runs = []
    for _ in range(15):
        start = time.perf_counter()
        for _ in range(100):
            add_standardised(total, sellable, attribute_profile(codes, shares, history), 10.0)
        runs.append((time.perf_counter() - start) / 100 * 1e3)
    print(f"{len(products):,} products, {codes.shape[0]} attributes, {history.size} signals: "
          f"best {min(runs):.3f} ms, median {float(np.median(runs)):.3f} ms a list")  # fmt: skip


if __name__ == "__main__":
    main()
