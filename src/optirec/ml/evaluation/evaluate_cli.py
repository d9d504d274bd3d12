"""`optirec evaluate`: load a data set, split it, run the chosen models and write the report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from optirec.errors import InvalidInput
from optirec.ml.evaluation.baselines.base import ItemScorer
from optirec.ml.evaluation.evaluate import ModelResult, run_baseline, run_seeds
from optirec.ml.evaluation.harness import COLD_MAX_INTERACTIONS
from optirec.ml.train.splits import EvalSplit

VARIANTS = ("optirec", "optirec-no-content", "optirec-no-actions", "optirec-no-itemitem")
KNOWN = ("popularity", "ease", "ease-recency", "als", *VARIANTS)
MAX_SEEDS = 20


def run_evaluate(
    data_dir: Path,
    *,
    models: list[str],
    out: Path,
    split: str = "loo",
    split_date: str | None = None,
    seed: int = 0,
    epochs: int | None = None,
    seeds: int = 3,
    dump_ranks: Path | None = None,
    console: Console | None = None,
) -> dict[str, ModelResult]:
    """Evaluate `models` on `data_dir` and write the report under `out`; our model runs with `seeds` seeds
    (`seed`, `seed` + 1, …), and `dump_ranks` receives every test user's rank of the target (CSV)."""
    from optirec.ml.train.data import load_dataset, parse_timestamp
    from optirec.ml.train.splits import leave_one_out, temporal

    console = console or Console()
    unknown = [m for m in models if m not in KNOWN]
    if unknown or not models:
        raise InvalidInput(f"unknown model(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(KNOWN)}")
    if not 1 <= seeds <= MAX_SEEDS:
        raise InvalidInput(f"--seeds must be between 1 and {MAX_SEEDS}")
    data, content = load_dataset(data_dir)
    console.print(f"{data_dir}: {len(data)} events, {data.n_users} users, {data.n_items} items")
    if split == "loo":
        valid, test = leave_one_out(data)
    elif split == "temporal":
        valid, test = temporal(data, parse_timestamp(split_date) if split_date else None)
    else:
        raise InvalidInput(f"unknown split {split!r}; use 'loo' or 'temporal'")
    results: dict[str, ModelResult] = {}
    skipped: dict[str, str] = {}
    for name in models:
        try:
            results[name] = _run_one(name, valid, test, content, (seed, seeds), epochs, console)
        except InvalidInput as exc:  # a model that cannot run on this data set (e.g. EASE on a huge catalogue)
            console.print(f"[yellow]{name} skipped: {exc.message}[/yellow]")
            skipped[name] = exc.message
    meta: dict[str, Any] = {
        "skipped": skipped,
        "dataset": data_dir.name,
        "split": split,
        "seed": seed,
        "seeds": seeds,
        "cold_max": COLD_MAX_INTERACTIONS,
        "command": "optirec evaluate " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "optirec evaluate",
    }
    from optirec.ml.evaluation.paired import paired_intervals, write_ranks
    from optirec.ml.evaluation.report import write_report

    meta["paired"] = paired_intervals(results, VARIANTS, seed=seed)
    write_report(results, meta, out, console)
    if dump_ranks is not None:
        rows = write_ranks(dump_ranks, results, test)
        console.print(f"wrote {rows} ranks to {dump_ranks}")
    return results


def _run_one(
    name: str,
    valid: EvalSplit,
    test: EvalSplit,
    content: Any,
    seeds: tuple[int, int],
    epochs: int | None,
    console: Console,
) -> ModelResult:
    """Build and run one model; `seeds` is (first seed, number of seeds of our model)."""
    say = console.log
    say(f"[bold]{name}[/bold]")
    if name in VARIANTS:
        from dataclasses import replace

        from optirec.ml.evaluation.scorer import Optirec
        from optirec.ml.model.content import build_content
        from optirec.ml.train.fit import FitConfig, SourceCache

        features = build_content(test.train.item_ids, content)
        sources: SourceCache = {}  # the seeds share the item-to-item sources (they do not depend on the seed)

        def make(seed: int) -> Optirec:
            config = FitConfig()
            config.model = replace(config.model, seed=seed, epochs=epochs or config.model.epochs)
            config.use_content = name != "optirec-no-content"
            config.use_actions = name != "optirec-no-actions"
            config.use_item_item = name != "optirec-no-itemitem"
            return Optirec(features, config, say, sources)

        return run_seeds(make, range(seeds[0], seeds[0] + seeds[1]), valid, test, say)
    return run_baseline(_baseline(name, seeds[0]), valid, test, say, seeds[0])


def _baseline(name: str, seed: int) -> ItemScorer:
    from optirec.ml.evaluation.baselines.als import Als
    from optirec.ml.evaluation.baselines.ease import Ease, EaseRecency
    from optirec.ml.evaluation.baselines.popularity import Popularity

    if name == "popularity":
        return Popularity()
    if name == "ease":
        return Ease()
    if name == "ease-recency":
        return EaseRecency()
    return Als(seed=seed)
