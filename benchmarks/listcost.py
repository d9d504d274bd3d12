"""What a personal list costs to build in-process, by catalog size, with a trained model serving it.

A synthetic shop per size (`benchmarks.explore.load_shop`: the demo shop's 1,500 products, the large shop's 50,000),
a model trained on it with a short budget (`training.pipeline.run_training`), then personal lists of customers with
a history (12 products, reasons on, no exploration), built both ways on one list builder: the exact pass
(`recommend.candidates`, every product scored) and the approximate candidates (`recommend.approximate`, forced at any
size). Each round builds the same list both ways, in alternating order. Prints the median ms per list of each, the
share of the exact list's 12 products the approximate one also shows, and the recall of the best 60 (lists of 60
without diversity, the exact pass's against the approximate path's); `--profile WAY` also prints where that way's
time goes (cProfile). `--blend-only` times the compiled pass against the whole catalog's blend.

    python -m benchmarks.listcost [--sizes 1500,50000] [--rounds 2000] [--train-seconds 20] [--folder DIR]
        [--profile exact|approximate] [--blend-only]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import pstats
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.explore import Shop, load_shop
from optirec.eyewear.config import RuleSettings
from optirec.recommend.candidates import blend_best, blend_catalog
from optirec.recommend.live import ServingState
from optirec.recommend.memo import AnswerMemo
from optirec.recommend.model_adapter import load_live_model
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListBuilder, ListSpec
from optirec.settings import Settings
from optirec.store import Database
from optirec.store.shopper import Shopper
from optirec.training.pipeline import run_training


def _say(line: str) -> None:
    print(line, flush=True)


def measure(size: int, args: argparse.Namespace, folder: Path) -> dict[str, float]:
    url = f"sqlite:///{folder / f'listcost-{size}.db'}"
    settings = Settings(_env_file=None, database_url=url, data_dir=folder / f"data-{size}", training_min_signals=100)
    settings = settings.model_copy(update={"training_max_seconds": args.train_seconds})
    kept = folder / f"listcost-{size}.version"
    if kept.exists():  # a shop and model of an earlier run with the same --folder
        shop = reopen_shop(url)
        version = kept.read_text()
    else:
        shop = load_shop(url, size, args.signals_per_product)
        started = time.perf_counter()
        version = run_training(settings, shop.db, force=True, progress=lambda _m: None).version
        _say(f"  model trained in {time.perf_counter() - started:.0f} s")
        kept.write_text(version)
    model = load_live_model(settings.models_dir / version, version)
    shop.state.swap_model(model)
    shop.state.approximate_from = 1  # the index is built before the model serves, as on a large catalog
    shop.state.prepare(model)
    builder = ListBuilder(shop.db, shop.state, shop.rules, ("accessories",), memo=AnswerMemo(0))
    shoppers = _shoppers(shop.db, args.customers)
    snapshot = shop.state.snapshots.get()
    specs = [ListSpec("home", s.customer_id, None, 12, RecommendationFilters()) for s in shoppers]
    ways = {"exact": 0, "approximate": 1}  # `ServingState.approximate_from`: never, always

    def answer(way: str, spec: ListSpec, shopper: Shopper) -> list[int]:
        shop.state.approximate_from = ways[way]
        return [i.position for i in builder._answer(spec, snapshot, shopper).items]

    for way in ways:  # the wearer views, the summaries, the kernels
        for spec, shopper in zip(specs, shoppers, strict=True):
            answer(way, spec, shopper)
    timed: dict[str, list[float]] = {way: [] for way in ways}
    shared: list[float] = []
    for round_ in range(args.rounds):
        spec, shopper = specs[round_ % len(specs)], shoppers[round_ % len(shoppers)]
        answers = []
        for way in ways if round_ % 2 == 0 else reversed(ways):
            started_ns = time.thread_time_ns()
            answers.append(answer(way, spec, shopper))
            timed[way].append((time.thread_time_ns() - started_ns) / 1e6)
        shared.append(len(set(answers[0]) & set(answers[1])) / max(len(answers[0]), 1))
    best = [dataclasses.replace(spec, limit=60, diversity=0.0, explain=False) for spec in specs]
    recall = [
        len(set(answer("exact", s, p)) & set(answer("approximate", s, p))) / 60
        for s, p in zip(best, shoppers, strict=True)
    ]
    if args.profile:
        shop.state.approximate_from = ways[args.profile]
        profile = cProfile.Profile()
        profile.enable()
        for round_ in range(args.rounds):
            builder._answer(specs[round_ % len(specs)], snapshot, shoppers[round_ % len(shoppers)])
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    shop.db.dispose()
    return {
        "products": len(shop.ids),
        "exact": statistics.median(timed["exact"]),
        "approximate": statistics.median(timed["approximate"]),
        "shared": statistics.mean(shared),
        "recall": statistics.mean(recall),
    }


def blend_only(size: int, rounds: int) -> dict[str, float]:
    """The ranking step alone on synthetic arrays of a catalog's size (70 % of it allowed, a personal source that
    knows 95 % of the products, a segment; 60 candidates): the whole catalog's blend and top-k against the compiled
    pass, interleaved, and whether they agree."""
    rng = np.random.default_rng(size)
    personal = rng.normal(size=size)
    personal[rng.random(size) < 0.05] = np.nan
    arguments = {
        "popularity": rng.normal(size=size), "segment": rng.normal(size=size), "popularity_weight": 0.25,
        "fit": rng.random(size), "fit_weight": 0.5, "allowed": rng.random(size) < 0.7,
        "sources": [(personal, 1.0), (None, 1.0)], "k": 60,
    }  # fmt: skip
    timed: dict[str, list[float]] = {"exact": [], "candidates": []}
    differ = 0
    for round_ in range(rounds):
        order = (("exact", blend_catalog), ("candidates", blend_best))
        best = {}
        for name, blend in order if round_ % 2 == 0 else order[::-1]:
            started_ns = time.thread_time_ns()
            best[name] = blend(**arguments)[0]  # type: ignore[arg-type]
            timed[name].append((time.thread_time_ns() - started_ns) / 1e6)
        differ += best["exact"].tolist() != best["candidates"].tolist()
    return {"products": size, **{k: statistics.median(v) for k, v in timed.items()}, "differ": differ / rounds}


def reopen_shop(url: str) -> Shop:
    """A shop `load_shop` made in an earlier run, its serving state warmed up."""
    db = Database(url)
    rules = RuleSettings()
    state = ServingState(db, rules)
    state.warm()
    return Shop(db, list(state.snapshots.get().ids), rules, state)


def _shoppers(db: object, count: int) -> list[Shopper]:
    """Customers with a history (the synthetic shop's customers are L000000…)."""
    out: list[Shopper] = []
    for k in range(count * 4):
        shopper = asyncio.run(db.read_shopper(customer_id=f"L{k:06d}", session_id=None))  # type: ignore[attr-defined]
        if shopper.history:
            out.append(shopper)
        if len(out) == count:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1500,50000", help="catalog sizes (products), comma-separated")
    parser.add_argument("--rounds", type=int, default=2000, help="lists built with each builder")
    parser.add_argument("--customers", type=int, default=200, help="distinct shoppers the lists are for")
    parser.add_argument("--signals-per-product", type=int, default=4)
    parser.add_argument("--train-seconds", type=float, default=20.0, help="the model's training budget")
    parser.add_argument("--folder", help="keep the shops and models here, and reuse those of an earlier run")
    parser.add_argument("--blend-only", action="store_true", help="time the ranking step alone, on synthetic arrays")
    parser.add_argument("--profile", choices=("exact", "approximate"), help="print where that way's time goes")
    args = parser.parse_args()
    if args.blend_only:
        rows = [blend_only(int(size), args.rounds) for size in args.sizes.split(",")]
        _print(rows, "the ranking step alone (blend and top 60), synthetic arrays")
        return
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="optirec-bench-listcost-") as temporary,
        threadpool_limits(limits=1, user_api="blas"),  # as the server's workers (`runtime.asgi`)
    ):
        folder = Path(args.folder) if args.folder else Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for size in (int(s) for s in args.sizes.split(",")):
            _say(f"catalog of about {size:,} products: loading, training, then {args.rounds:,} rounds")
            rows.append(measure(size, args, folder))
    _print(rows, "personal lists of 12 with reasons, customers with a history")


def _print(rows: list[dict[str, float]], what: str) -> None:
    _say(f"\n{what}; medians in ms")
    if "recall" not in rows[0]:
        _say("| products | whole catalog | compiled pass | lists that differ |")
        _say("| ---: | ---: | ---: | ---: |")
        for row in rows:
            _say(f"| {row['products']:,.0f} | {row['exact']:.3f} | {row['candidates']:.3f} | {row['differ']:.1%} |")
        return
    _say("| products | exact pass | approximate candidates | list of 12 in common | recall of the best 60 |")
    _say("| ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        _say(
            f"| {row['products']:,.0f} | {row['exact']:.3f} | {row['approximate']:.3f} | {row['shared']:.1%} | "
            f"{row['recall']:.1%} |"
        )


if __name__ == "__main__":
    main()
