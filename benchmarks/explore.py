"""What exploration adds to a list: the same list builder's answer with exploration off and on, in one process.

A synthetic shop per catalog size (the demo shop's 1,500 products, the large shop's 50,000), with signals on part
of the catalog (so some products are new). Two list builders share one serving state: one greedy, one exploring
`--share` of every home list. Each round builds the same list once with each, in alternating order, timing the
builder's computation of a list (filters, scores, diversity, exploration, reasons), not the shopper's read or the
log's insert, which exploration does not change. Prints the medians of each and of the paired differences.

    python -m benchmarks.explore [--sizes 1500,50000] [--rounds 3000] [--limit 12] [--share 0.2] [--near-share 0]
        [--[no-]near-new-only] [--no-explain]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.seed import START, _customers, _products, _signals
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.wearer import Wearer
from optirec.migrate import upgrade
from optirec.recommend.live import ServingState
from optirec.recommend.memo import AnswerMemo
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListBuilder, ListSpec
from optirec.settings import ExplorationSettings
from optirec.store import Database
from optirec.store.shopper import Shopper


def _say(line: str) -> None:
    print(line, flush=True)


@dataclasses.dataclass
class Shop:
    db: Database
    ids: list[str]
    rules: RuleSettings
    state: ServingState


def load_shop(url: str, size: int, signals_per_product: int) -> Shop:
    """A synthetic shop of about `size` products (signals on part of them, so some are new) and 2,000 customers
    with profiles (so the segments are counted once, not per list), its serving state warmed up."""
    upgrade(url)
    db = Database(url)
    rng = np.random.default_rng(19)
    ids = _products(db, rng, size)
    _customers(db, rng, 2000)
    _signals(db, rng, ids, 2000, signals_per_product * len(ids), lambda _line: None, START)
    rules = RuleSettings()
    state = ServingState(db, rules)
    state.warm()
    return Shop(db, ids, rules, state)


def profiled_shopper(db: Database, session_id: str) -> Shopper:
    """An anonymous shopper with a face width, so that the fit rules and segments take part in each list."""
    shopper = asyncio.run(db.read_shopper(customer_id=None, session_id=session_id))
    return dataclasses.replace(shopper, wearer=Wearer(face_width_mm=138.0))


def interleaved(
    first: ListBuilder, second: ListBuilder, specs: list[ListSpec], shop: Shop, shopper: Shopper, rounds: int
) -> tuple[list[float], list[float], list[Any]]:
    """Each round builds one list (the specs in turn) with each builder, in alternating order; the ms of each
    builder's lists, and the second builder's answers. Both builders are warmed up first."""
    snapshot = shop.state.snapshots.get()
    for builder in (first, second):  # the caches of the wearer, the snapshot's summaries, the weights
        for spec in (specs * 50)[:50]:
            builder._answer(spec, snapshot, shopper)
    timed: dict[int, list[float]] = {id(first): [], id(second): []}
    answers = []
    for round_ in range(rounds):
        spec = specs[round_ % len(specs)]
        for builder in (first, second) if round_ % 2 == 0 else (second, first):
            started = time.perf_counter_ns()
            answer = builder._answer(spec, snapshot, shopper)
            timed[id(builder)].append((time.perf_counter_ns() - started) / 1e6)
            if builder is second:
                answers.append(answer)
    return timed[id(first)], timed[id(second)], answers


def medians(off: list[float], on: list[float]) -> dict[str, float]:
    """The median of each builder's lists and of the paired differences (second minus first)."""
    differences = [b - a for a, b in zip(off, on, strict=True)]
    return {"off": statistics.median(off), "on": statistics.median(on), "difference": statistics.median(differences)}


def measure(size: int, args: argparse.Namespace, folder: Path) -> dict[str, float]:
    shop = load_shop(f"sqlite:///{folder / f'explore-{size}.db'}", size, args.signals_per_product)
    greedy = ListBuilder(shop.db, shop.state, shop.rules, ("accessories",), memo=AnswerMemo(0))
    exploring = ListBuilder(
        shop.db, shop.state, shop.rules, ("accessories",), memo=AnswerMemo(0),
        exploration=ExplorationSettings(
            shares={"home": args.share}, near_share=args.near_share, near_new_only=args.near_new_only, seed=1
        ),
    )  # fmt: skip
    spec = ListSpec("home", None, "bench", args.limit, RecommendationFilters(), explain=args.explain)
    off, on, answers = interleaved(greedy, exploring, [spec], shop, profiled_shopper(shop.db, "bench"), args.rounds)
    shop.db.dispose()
    explored = sum(answer.policy == "explore" for answer in answers)
    return {"products": len(shop.ids), **medians(off, on), "explored": explored / args.rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1500,50000", help="catalog sizes (products), comma-separated")
    parser.add_argument("--rounds", type=int, default=3000, help="lists built with each builder")
    parser.add_argument("--limit", type=int, default=12, help="products per list")
    parser.add_argument("--share", type=float, default=0.2, help="exploration share of the home lists")
    parser.add_argument(
        "--near-share", type=float, default=0.0, help="exploration's weight share of the ranking's next best products"
    )
    parser.add_argument(
        "--near-new-only", action=argparse.BooleanOptionalAction, default=False,
        help="one exploratory slot per new product near the list (OPTIREC_EXPLORATION__NEAR_NEW_ONLY)",
    )  # fmt: skip
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
    _say(
        f"\nlists of {args.limit} {reasons}, exploration share {args.share} ({slots} slots), near share "
        f"{args.near_share}{', near new only' if args.near_new_only else ''}; medians in ms per list"
    )
    _say("| products | greedy | exploring | paired difference | lists that explored |")
    _say("| ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        _say(
            f"| {row['products']:,.0f} | {row['off']:.3f} | {row['on']:.3f} | {row['difference']:+.3f} "
            f"| {row['explored']:.0%} |"
        )


if __name__ == "__main__":
    main()
