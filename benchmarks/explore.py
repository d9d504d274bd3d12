"""What exploration adds to a list: the same list builder's answer with exploration off and on, in one process.

A synthetic shop per catalog size (the demo shop's 1,500 products, the large shop's 50,000), with signals on part
of the catalog (so some products are new). Two list builders share one serving state: one greedy, one exploring
`--share` of every home list. Each round builds the same list once with each, in alternating order, timing the
builder's computation of a list (filters, scores, diversity, exploration, reasons), not the shopper's read or the
log's insert, which exploration does not change. Prints the medians of each and of the paired differences.

    python -m benchmarks.explore [--sizes 1500,50000] [--rounds 3000] [--limit 12] [--share 0.2] [--no-explain]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.seed import START, _customers, _products, _signals
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.wearer import Wearer
from optirec.migrate import upgrade
from optirec.recommend.live import ServingState
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListBuilder, ListSpec
from optirec.settings import ExplorationSettings
from optirec.store import Database


def _say(line: str) -> None:
    print(line, flush=True)


def measure(size: int, args: argparse.Namespace, folder: Path) -> dict[str, float]:
    url = f"sqlite:///{folder / f'explore-{size}.db'}"
    upgrade(url)
    db = Database(url)
    rng = np.random.default_rng(19)
    ids = _products(db, rng, size)
    _customers(db, rng, 2000)  # with profiles, so the segments are counted (once, not per list)
    _signals(db, rng, ids, 2000, args.signals_per_product * len(ids), lambda _line: None, START)
    rules = RuleSettings()
    state = ServingState(db, rules)
    state.warm()
    greedy = ListBuilder(db, state, rules, ("accessories",))
    exploring = ListBuilder(
        db, state, rules, ("accessories",), exploration=ExplorationSettings(shares={"home": args.share}, seed=1)
    )
    spec = ListSpec("home", None, "bench", args.limit, RecommendationFilters(), explain=args.explain)
    snapshot = state.snapshots.get()
    shopper = asyncio.run(db.read_shopper(customer_id=None, session_id="bench"))
    shopper = dataclasses.replace(
        shopper, wearer=Wearer(face_width_mm=138.0)
    )  # a profile, so the fit rules and segments take part
    for builder in (greedy, exploring):  # warm both: the caches of the wearer, the snapshot's summaries, the weights
        for _ in range(50):
            builder._answer(spec, snapshot, shopper)
    off: list[float] = []
    on: list[float] = []
    explored = 0
    for round_ in range(args.rounds):
        order = (greedy, exploring) if round_ % 2 == 0 else (exploring, greedy)
        for builder in order:
            started = time.perf_counter_ns()
            answer = builder._answer(spec, snapshot, shopper)
            elapsed = (time.perf_counter_ns() - started) / 1e6
            if builder is greedy:
                off.append(elapsed)
            else:
                on.append(elapsed)
                explored += answer.policy == "explore"
    db.dispose()
    differences = [b - a for a, b in zip(off, on, strict=True)]
    return {
        "products": len(ids),
        "off": statistics.median(off),
        "on": statistics.median(on),
        "difference": statistics.median(differences),
        "explored": explored / args.rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1500,50000", help="catalog sizes (products), comma-separated")
    parser.add_argument("--rounds", type=int, default=3000, help="lists built with each builder")
    parser.add_argument("--limit", type=int, default=12, help="products per list")
    parser.add_argument("--share", type=float, default=0.2, help="exploration share of the home lists")
    parser.add_argument("--signals-per-product", type=int, default=4)
    parser.add_argument(
        "--explain", action=argparse.BooleanOptionalAction, default=True, help="the lists explain themselves (reasons)"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="optirec-bench-explore-") as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            _say(f"catalog of about {size:,} products: loading, then {args.rounds:,} rounds")
            rows.append(measure(size, args, Path(folder)))
    slots = int(np.floor(args.share * args.limit + 1e-9))
    reasons = "with reasons" if args.explain else "without reasons"
    _say(f"\nlists of {args.limit} {reasons}, exploration share {args.share} ({slots} slots); medians in ms per list")
    _say("| products | greedy | exploring | paired difference | lists that explored |")
    _say("| ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        _say(
            f"| {row['products']:,.0f} | {row['off']:.3f} | {row['on']:.3f} | {row['difference']:+.3f} "
            f"| {row['explored']:.0%} |"
        )


if __name__ == "__main__":
    main()
