"""Training entry point for the service: events and items in, a versioned artifact and its metrics out.

`train()` takes plain lists (no DataFrame), evaluates on a leave-one-out split when the data allows it
(validation for tuning, test once), then refits the item-to-item source on every event and saves.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from optirec.errors import InvalidInput
from optirec.ml.content import build_content
from optirec.ml.data import ItemContent, from_arrays
from optirec.ml.harness import evaluate_scorer
from optirec.ml.recommender import Recommender
from optirec.ml.scorer import Optirec, OptirecConfig
from optirec.ml.splits import leave_one_out

Progress = Callable[[str], None]


@dataclass(frozen=True)
class EventsInput:
    """Parallel lists of events: `timestamps` in seconds since the epoch, actions from `data.ACTIONS`."""

    user_ids: Sequence[str]
    item_ids: Sequence[str]
    actions: Sequence[str]
    timestamps: Sequence[int]


@dataclass(frozen=True)
class ItemInput:
    """One catalogue product: optional text (name, description), attribute values and free tokens."""

    item_id: str
    text: str = ""
    attributes: dict[str, str] = field(default_factory=dict)  # becomes tokens "key=value"
    tokens: Sequence[str] = ()  # already tokenised attributes (brand ids, categories…)


@dataclass(frozen=True)
class TrainOutput:
    """Where the artifact was written and the metrics it was registered with."""

    path: Path
    version: str
    metrics: dict[str, Any]


def item_content(items: Sequence[ItemInput]) -> ItemContent:
    """Text and `key=value` attribute tokens of the catalogue."""
    return ItemContent(
        text={i.item_id: i.text for i in items if i.text},
        tokens={i.item_id: [*i.tokens, *(f"{k}={v}" for k, v in sorted(i.attributes.items()))] for i in items},
    )


def dataset_inputs(folder: Path) -> tuple[EventsInput, list[ItemInput]]:
    """A data set folder as the plain inputs of `train` (what the service would export)."""
    from optirec.ml.data import ACTIONS, load_dataset

    data, content = load_dataset(folder)
    events = EventsInput(
        [data.user_ids[u] for u in data.users],
        [data.item_ids[i] for i in data.items],
        [ACTIONS[a] for a in data.actions],
        data.timestamps.tolist(),
    )
    items = [ItemInput(i, content.text.get(i, ""), tokens=content.tokens.get(i, [])) for i in data.item_ids]
    return events, items


def train(
    events: EventsInput,
    items: Sequence[ItemInput],
    config: OptirecConfig | None = None,
    out_dir: Path = Path("var/models"),
    progress: Progress | None = None,
) -> TrainOutput:
    """Train our model, evaluate it (validation for tuning, test once) and save the artifact under out_dir."""
    config = config or OptirecConfig()
    if len(events.user_ids) == 0:
        raise InvalidInput("no events to train on")
    data = from_arrays(
        list(events.user_ids),
        list(events.item_ids),
        list(events.actions),
        list(events.timestamps),
        catalogue=[i.item_id for i in items],
    )
    model = Optirec(build_content(data.item_ids, item_content(items)), config, progress)
    valid, test = leave_one_out(data)
    start = time.perf_counter()
    tuned = model.tune(valid)
    model.fit(test.train)
    metrics: dict[str, Any] = {"test": evaluate_scorer(model.score, test), "valid_ndcg@10": tuned.valid_ndcg}
    model.fit(data)
    metrics["train_seconds"] = round(time.perf_counter() - start, 2)
    recommender = to_recommender(model, data.item_ids, metrics)
    path = recommender.save(Path(out_dir) / recommender.version)
    return TrainOutput(path, recommender.version, metrics)


def to_recommender(model: Optirec, item_ids: list[str], metrics: dict[str, Any]) -> Recommender:
    """Export a tuned and fitted `Optirec` to the numpy serving model."""
    import torch

    from optirec.ml.index import UserEncoderNumpy
    from optirec.ml.train import ContentTensors

    network = model.network
    assert network is not None and model.train is not None, "tune and fit first"
    feats = ContentTensors(model.content, torch.device("cpu"))
    with torch.no_grad():
        table = network.items(feats.bag, feats.text)[1:].numpy()
        text = network.items.text.weight.numpy().copy() if network.items.text is not None else None
        weights = {k: v.numpy().copy() for k, v in network.user.state_dict().items()}
    cfg = network.config
    popularity = np.bincount(model.train.items, minlength=len(item_ids)).astype(np.float32)
    # unique even for two trainings in one second: an artifact folder is never overwritten by another version
    version = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)
    return Recommender(
        version=version,
        item_ids=list(item_ids),
        encoder=UserEncoderNumpy(weights, cfg.layers, cfg.heads, cfg.max_len),
        item_table=table.astype(np.float32),
        item_item=model.item_item,
        weights=model.tuned.weights if model.config.use_item_item else (1.0, 0.0),
        decay=model.tuned.decay,
        popularity=popularity,
        vocabulary=list(model.content.vocabulary),
        token_table=network.items.tokens.weight.detach().numpy().astype(np.float32),
        text_projection=text,
        metadata={"metrics": metrics, "config": _config_dict(model.config)},
    )


def _config_dict(config: OptirecConfig) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(config)
