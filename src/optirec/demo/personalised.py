"""The personalised models `demo-eval` can score: the project's model (`optirec.ml.train.fit.fit_model`, served by
`ServedModel`) and two baselines of `optirec.ml.evaluation.baselines` (EASE, ALS) with fixed hyper-parameters.

Every scorer answers, for customer rows, scores over the products in catalogue order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from optirec.arrays import IntArray
from optirec.catalog.schemas import ProductCreate
from optirec.ml.model.actions import ACTIONS
from optirec.ml.train.data import Interactions

Scorer = Callable[[IntArray], npt.NDArray[np.float32]]
MODELS = ("optirec", "ease", "als")
PRODUCT_ATTRIBUTES = ("category", "audience", "gender", "brand", "shape", "material", "colour", "rim_type")


def personalised_scorer(
    name: str,
    train: Interactions,
    products: Sequence[ProductCreate],
    popularity: npt.NDArray[np.float32],
    *,
    train_seconds: float = 120.0,
    progress: Callable[[str], None] | None = None,
    model_dir: Path | None = None,
) -> Scorer:
    """A trained personalised model's scores, popularity breaking ties for customers without history. The project's
    model is trained once and its artifact written into `model_dir` (a temporary folder when None): the served
    lists are built from that same artifact."""
    tie = 1e-6 * popularity / max(float(popularity.max()), 1.0)
    if name == "optirec":
        if model_dir is None:
            with tempfile.TemporaryDirectory() as folder:
                score = optirec_scorer(train, products, Path(folder), train_seconds=train_seconds, progress=progress)
        else:
            score = optirec_scorer(train, products, model_dir, train_seconds=train_seconds, progress=progress)
    elif name in ("ease", "als"):
        score = baseline_scorer(name, train)
    else:
        raise ValueError(f"unknown personalised model {name!r}; expected one of {', '.join(MODELS)}")
    return lambda u: (score(u) + tie[None, :]).astype(np.float32)


def baseline_scorer(name: str, train: Interactions) -> Scorer:
    """EASE (λ = 200) or ALS (regularisation 0.1, α 10) fitted on the training events."""
    from optirec.ml.evaluation.baselines.als import Als
    from optirec.ml.evaluation.baselines.base import ItemScorer
    from optirec.ml.evaluation.baselines.ease import Ease

    models: dict[str, tuple[type[ItemScorer], dict[str, float]]] = {
        "ease": (Ease, {"lam": 200.0}),
        "als": (Als, {"regularization": 0.1, "alpha": 10.0}),
    }
    kind, params = models[name]
    model = kind()
    model.fit(train, **params)
    return model.score


def optirec_scorer(
    train: Interactions,
    products: Sequence[ProductCreate],
    folder: Path,
    *,
    train_seconds: float,
    progress: Callable[[str], None] | None = None,
) -> Scorer:
    """Train the project's model through its service entry point, save its artifact into `folder/<version>` and
    score with the served `ServedModel` loaded back from it."""
    from optirec.ml.model.content import build_content
    from optirec.ml.model.served import ServedModel
    from optirec.ml.train.fit import FitConfig, fit_model
    from optirec.ml.train.inputs import EventsInput, ItemInput, interactions, item_content

    events = EventsInput(
        [train.user_ids[u] for u in train.users.tolist()],
        [train.item_ids[i] for i in train.items.tolist()],
        [ACTIONS[a] for a in train.actions.tolist()],
        train.timestamps.tolist(),
    )
    items = [ItemInput(p.id, text=f"{p.name}. {p.description or ''}", attributes=_attributes(p)) for p in products]
    config = FitConfig()
    config.model = replace(config.model, max_seconds=train_seconds)
    data = interactions(events, items)
    fitted = fit_model(data, build_content(data.item_ids, item_content(items)), config, progress)
    model = ServedModel.load(fitted.model.save(folder / fitted.model.version))
    row = {item: k for k, item in enumerate(model.item_ids)}
    order = np.array([row[p.id] for p in products], dtype=np.int64)
    signals = _latest_signals(train, model.encoder.max_len)

    def score(users: IntArray) -> npt.NDArray[np.float32]:
        return np.stack([model.score(signals[int(u)])[order] for u in users]).astype(np.float32)

    return score


def _attributes(product: ProductCreate) -> dict[str, str]:
    values = {name: getattr(product, name) for name in PRODUCT_ATTRIBUTES}
    return {name: str(value) for name, value in values.items() if value is not None}


def _latest_signals(train: Interactions, keep: int) -> list[list[tuple[str, str]]]:
    """Each customer's latest `keep` (item_id, action) signals, oldest first (train is sorted by user, time)."""
    bounds = train.user_bounds()
    out: list[list[tuple[str, str]]] = []
    for user in range(train.n_users):
        lo, hi = int(bounds[user]), int(bounds[user + 1])
        lo = max(lo, hi - keep)
        pairs = zip(train.items[lo:hi].tolist(), train.actions[lo:hi].tolist(), strict=True)
        out.append([(train.item_ids[i], ACTIONS[a]) for i, a in pairs])
    return out
