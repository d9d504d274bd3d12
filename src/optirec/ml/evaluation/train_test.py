"""`optirec train-model`'s run: fit our model on a data set, test it once on the held-out split and save it.

The served model is the fit step's (tuned on validation, fitted on every event); the test metrics recorded with it
come from the same tuned state refitted on the test split's events and scored by the harness.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optirec.ml.evaluation.harness import evaluate_scorer
from optirec.ml.evaluation.scorer import Optirec
from optirec.ml.model.content import build_content
from optirec.ml.train.fit import FitConfig, served_model
from optirec.ml.train.inputs import EventsInput, ItemInput, interactions, item_content
from optirec.ml.train.splits import leave_one_out

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainOutput:
    """Where the artifact was written and the metrics it was registered with."""

    path: Path
    version: str
    metrics: dict[str, Any]


def train(
    events: EventsInput,
    items: Sequence[ItemInput],
    config: FitConfig | None = None,
    out_dir: Path = Path("var/models"),
    progress: Progress | None = None,
) -> TrainOutput:
    """Train our model, evaluate it (validation for tuning, test once) and save the artifact under out_dir."""
    config = config or FitConfig()
    data = interactions(events, items)
    model = Optirec(build_content(data.item_ids, item_content(items)), config, progress)
    valid, test = leave_one_out(data)
    say = progress or (lambda _: None)
    start = time.perf_counter()
    tuned = model.tune(valid, refits=(test.train, data))
    model.fit(test.train)
    say("test refit: item-to-item on the test split's events")
    metrics: dict[str, Any] = {"test": evaluate_scorer(model.score, test), "valid_ndcg@10": tuned.valid_ndcg}
    say(f"test scoring: ndcg@10 {metrics['test']['ndcg@10']:.4f}, hr@10 {metrics['test']['hr@10']:.4f}")
    model.fit(data)
    metrics["train_seconds"] = round(time.perf_counter() - start, 2)
    say("refit: item-to-item on every event")
    served = served_model(model, data.item_ids, metrics)
    path = served.save(Path(out_dir) / served.version)
    say(f"save: {path}")
    return TrainOutput(path, served.version, metrics)
