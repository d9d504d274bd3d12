"""What experiment assignment adds to a list: the same list builder's answer outside and inside a running experiment,
in one process.

A synthetic shop (as `benchmarks.explore`), and two list builders on one serving state: one whose book of running
experiments was read before an experiment started (and is never read again), one that holds the running experiment
at the home placement, with two arms whose policies equal the default, so that the lists are the same work and only
the assignment differs (the placement's lookup, one BLAKE2b hash of the shopper's key, the arm's policy). Each round
builds the same list, for one of 1,000 anonymous sessions, once with each builder, in alternating order, timing the
builder's computation of a list (not the shopper's read or the log's insert, which assignment does not change).
Prints the medians of each and of the paired differences, and the assignment alone (`Book.assign`).

    python -m benchmarks.experiments [--sizes 1500,50000] [--rounds 3000] [--limit 12]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.explore import _say, interleaved, load_shop, medians, profiled_shopper
from optirec.recommend import experiments
from optirec.recommend.memo import AnswerMemo
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListBuilder, ListSpec
from optirec.store import Database

SESSIONS = 1000


def _start_experiment(db: Database) -> str:
    body = experiments.ExperimentCreate(
        name="bench",
        placements=["home"],
        arms=[
            experiments.ArmSpec(name="control", share=0.5, control=True),
            experiments.ArmSpec(name="same", share=0.5),
        ],
    )
    with db.write() as session:
        experiment_id = experiments.create(session=session, body=body, actor="bench").id
        experiments.start(session=session, experiment_id=experiment_id, actor="bench")
    return experiment_id


def measure(size: int, args: argparse.Namespace, folder: Path) -> dict[str, float]:
    shop = load_shop(f"sqlite:///{folder / f'experiments-{size}.db'}", size, args.signals_per_product)
    db, state, rules = shop.db, shop.state, shop.rules
    outside = ListBuilder(db, state, rules, ("accessories",), policy_refresh_seconds=3600, memo=AnswerMemo(0))
    outside.book.get()  # read before the experiment starts, and never again
    _start_experiment(db)
    inside = ListBuilder(db, state, rules, ("accessories",), policy_refresh_seconds=3600, memo=AnswerMemo(0))
    assert inside.book.get().by_placement and not outside.book.get().by_placement
    specs = [
        ListSpec("home", None, f"session-{i}", args.limit, RecommendationFilters(), explain=args.explain)
        for i in range(SESSIONS)
    ]
    off, on, answers = interleaved(outside, inside, specs, shop, profiled_shopper(db, "session-0"), args.rounds)
    book = inside.book.get()
    started = time.perf_counter_ns()
    for i in range(100_000):
        book.assign("home", None, specs[i % SESSIONS].session_id)
    assign_us = (time.perf_counter_ns() - started) / 1e3 / 100_000
    db.dispose()
    in_arm = sum(answer.arm is not None for answer in answers)
    return {"products": len(shop.ids), **medians(off, on), "assign_us": assign_us, "in_arm": in_arm / args.rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1500,50000", help="catalog sizes (products), comma-separated")
    parser.add_argument("--rounds", type=int, default=3000, help="lists built with each builder")
    parser.add_argument("--limit", type=int, default=12, help="products per list")
    parser.add_argument("--signals-per-product", type=int, default=4)
    parser.add_argument(
        "--explain", action=argparse.BooleanOptionalAction, default=True, help="the lists explain themselves (reasons)"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="optirec-bench-experiments-") as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            _say(f"catalog of about {size:,} products: loading, then {args.rounds:,} rounds")
            rows.append(measure(size, args, Path(folder)))
    reasons = "with reasons" if args.explain else "without reasons"
    _say(f"\nlists of {args.limit} {reasons}; medians in ms per list; the assignment alone in µs (mean of 100,000)")
    _say("| products | outside an experiment | inside one | paired difference | assignment alone | lists with an arm |")
    _say("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        _say(
            f"| {row['products']:,.0f} | {row['off']:.3f} | {row['on']:.3f} | {row['difference']:+.3f} "
            f"| {row['assign_us']:.2f} µs | {row['in_arm']:.0%} |"
        )


if __name__ == "__main__":
    main()
