"""The fit step: tune on a validation split, then fit on every event, and export the served model.

`ModelFit.tune` trains the network on the validation split's training events (early stopping on validation
NDCG@10), picks the item-to-item regularisation, the recency decay and the blend weights on the validation
targets. `ModelFit.refit` then refits the item-to-item source on the given events and reads each user's latest
signals from them (the network is not retrained; `retrain_network` does that, for the offline evaluation).
Production training calls `fit_model`; the offline evaluation's `Optirec` scorer is this state behind the
harness's `ItemScorer` interface.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from optirec.arrays import Float32Array, IntArray
from optirec.ml.metrics import zscore_rows
from optirec.ml.model.actions import ACTION_CODE, ACTION_TABLE
from optirec.ml.model.content import ContentFeatures
from optirec.ml.model.index import UserEncoderNumpy
from optirec.ml.model.itemitem import ItemItem
from optirec.ml.model.network import ModelConfig
from optirec.ml.model.served import ServedModel
from optirec.ml.train.blend import BlendSearch, blend, follow
from optirec.ml.train.data import Interactions, user_item_matrix
from optirec.ml.train.itemitem import EASE_MAX_ITEMS, fit_item_item, weighted_history
from optirec.ml.train.splits import EvalSplit, leave_one_out, sample_users
from optirec.ml.train.validation import BATCH_USERS, mask_history, ndcg_at_10

if TYPE_CHECKING:
    from optirec.ml.model.network import SequenceRecommender
    from optirec.ml.train.loop import ContentTensors

Progress = Callable[[str], None]
SourceCache = dict[tuple[int, float, int, int], tuple[Interactions, ItemItem]]


@dataclass
class FitConfig:
    """Our model's settings: the network's plus the item-to-item source and the blend search."""

    model: ModelConfig = field(default_factory=ModelConfig)
    # EASE regularisation tried on validation, in this order, until one scores below the best before it
    lam_grid: tuple[float, ...] = (50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0)
    neighbours: int = 200  # item-to-item weights kept per item (sparse, for serving)
    dense_items: int = 2000  # a catalogue up to this size keeps every EASE weight (n² floats: 32 MB at 2,000)
    decays: tuple[float, ...] = (1.0, 0.8, 0.6, 0.4)  # recency decay of history weights per older signal
    item_weights: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.5, 2.5, 5.0)  # item-to-item weight
    use_content: bool = True  # ablation switch: attribute tokens and text in the item vectors
    use_actions: bool = True  # ablation switch: action types in the input and the history weights
    use_item_item: bool = True  # ablation switch: the item-to-item source in the blend
    tune_users: int = 8000  # validation users (seeded sample) for early stopping, λ and blend search; 0 = all


@dataclass
class TunedParams:
    """What `tune` chose on the validation split."""

    lam: float = 150.0
    decay: float = 1.0
    weights: tuple[float, float] = (1.0, 0.0)  # (network, item-to-item)
    best_epoch: int = 0
    valid_ndcg: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LamSearch:
    """The item-to-item λ chosen on validation, its validation NDCG@10, its source and the progress messages."""

    lam: float
    ndcg: float
    source: ItemItem
    messages: list[str]


class ModelFit:
    """The fit step's state: the sequence network (product + user-preference embeddings) blended with EASE
    item-to-item, tuned on a validation split and refitted on the events the served model reads."""

    def __init__(
        self,
        content: ContentFeatures,
        config: FitConfig,
        progress: Progress | None = None,
        sources: SourceCache | None = None,
    ) -> None:
        self.config = config
        # item-to-item sources by (events, λ, neighbours, dense size), when given: they do not depend on the seed, so
        # the fits of several seeds (and a refit on the tuning events) can share them; None fits each one afresh
        self.sources = sources
        self.content = content if config.use_content else _no_content(content)
        self.progress = progress
        self.tuned = TunedParams()
        self.network: SequenceRecommender | None = None
        self.item_item: ItemItem | None = None
        self.train: Interactions | None = None
        self._sequences: tuple[list[IntArray], list[IntArray]] = ([], [])
        self._feats: ContentTensors | None = None
        # item-to-item sources fitted while the network trained, by id of the events `refit` will be given
        self._prefitted: dict[int, tuple[Interactions, ItemItem]] = {}

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def tune(self, valid: EvalSplit, refits: Sequence[Interactions] = ()) -> TunedParams:
        """Train the network and choose λ, decay and blend weights on the validation targets.

        The item-to-item source does not depend on the network: its λ search, then its sources for `refits` (the
        events `refit` will be given) at the chosen λ, run in a second thread while the network trains (its inverses
        release the GIL; the network trains on `config.model.threads`)."""
        from optirec.ml.train.loop import train_sequence_model

        events = valid.train
        valid = sample_users(replace(valid, train=self._prepare(valid.train)), self.config.tune_users, seed=0)
        with ThreadPoolExecutor(1) as pool:
            search = pool.submit(self._search_lam, events, valid, refits) if self.config.use_item_item else None
            result = train_sequence_model(valid.train, self.content, self.config.model, valid, self._say)
            self.network, self.tuned.best_epoch = result.model, result.best_epoch
            self._say(f"network: best epoch {result.best_epoch}, valid ndcg@10 {result.best_ndcg:.4f}")
            lam_search = search.result() if search is not None else None
        self._use(valid.train)
        self.tuned.valid_ndcg["network"] = result.best_ndcg
        if lam_search is not None:
            for message in lam_search.messages:
                self._say(message)
            self.tuned.lam, self.item_item = lam_search.lam, lam_search.source
            self.tuned.valid_ndcg["item_item"] = lam_search.ndcg
            self._search_blend(valid)
        return self.tuned

    def _search_lam(self, events: Interactions, valid: EvalSplit, refits: Sequence[Interactions]) -> LamSearch:
        """Pick λ on the item-to-item source alone, each λ scored at its best recency decay (λ and decay together,
        as the recency-weighted EASE baseline is tuned); the grid is walked upwards and stops at the first λ that
        scores below the best so far. Then fit the sources of `refits` at that λ ahead of `refit`. Reads no state
        the network's training writes."""
        messages: list[str] = []
        best: tuple[float, float, ItemItem | None] = (-1.0, 0.0, None)
        # co-occurrence (a catalogue too large for EASE) has no λ: one fit
        grid = self.config.lam_grid if events.n_items <= EASE_MAX_ITEMS else self.config.lam_grid[:1]
        for lam in grid:
            start = time.perf_counter()
            source = self._item_item(events, lam)
            ndcg, decay = max((_item_item_ndcg(source, valid, decay), decay) for decay in self.config.decays)
            messages.append(f"item-to-item λ={lam:g}: valid ndcg@10 {ndcg:.4f} at decay {decay:g} "
                            f"({time.perf_counter() - start:.1f} s)")  # fmt: skip
            if ndcg <= best[0]:
                break
            best = (ndcg, lam, source)
        assert best[2] is not None, "an empty λ grid"
        start = time.perf_counter()
        for train in refits:
            self._prefitted[id(train)] = (train, best[2] if train is events else self._item_item(train, best[1]))
        if refits:
            messages.append(f"item-to-item refits: {len(refits)} sources ({time.perf_counter() - start:.1f} s)")
        return LamSearch(best[1], best[0], best[2], messages)

    def _search_blend(self, valid: EvalSplit) -> None:
        """Grid search of (decay, item-to-item weight) on the validation targets."""
        grid = [(1.0, w) for w in self.config.item_weights] + [(0.0, 1.0)]
        history = user_item_matrix(valid.train)
        cold = self.item_item.cold() if self.item_item is not None else None  # as served: ranked by content
        searches = {decay: BlendSearch(grid) for decay in self.config.decays}
        for start in range(0, len(valid.users), BATCH_USERS):
            users = valid.users[start : start + BATCH_USERS]
            network = zscore_rows(mask_history(self.network_scores(users), history[users]))  # once for every decay
            for decay, search in searches.items():
                items = follow(network, mask_history(self.item_scores(users, decay), history[users]), cold)
                search.add_normalised([network, items], valid.targets[start : start + BATCH_USERS])
        results = [(s.best(), decay) for decay, s in searches.items()]
        (weights, ndcg), decay = max(results, key=lambda r: r[0][1])
        self.tuned.decay, self.tuned.weights = decay, (weights[0], weights[1])
        self.tuned.valid_ndcg["blend"] = ndcg
        self._say(f"blend: decay {decay:g}, weights {weights}, valid ndcg@10 {ndcg:.4f}")

    def retrain_network(self, train: Interactions) -> None:
        """Train the network afresh on `train` for the epochs validation chose (`tuned.best_epoch`; nothing to
        stop early on), as the offline evaluation refits every baseline on the test split's events."""
        from optirec.ml.train.loop import train_sequence_model

        config = replace(self.config.model, epochs=max(1, self.tuned.best_epoch))
        self.network = train_sequence_model(self._prepare(train), self.content, config, None, self._say).model

    def refit(self, train: Interactions) -> None:
        """Read the users' latest signals from `train` and refit the item-to-item source on it."""
        self._use(self._prepare(train))
        if self.config.use_item_item:
            # the source reads the binary user-item matrix: the same for the events as given and as prepared
            prefitted = self._prefitted.pop(id(train), None)  # an entry keeps its events alive: ids are not reused
            self.item_item = prefitted[1] if prefitted is not None else self._item_item(train, self.tuned.lam)

    def _item_item(self, train: Interactions, lam: float) -> ItemItem:
        """The item-to-item source of `train` and `lam`, fitted once per `sources` cache (when there is one)."""
        if self.sources is None:
            return fit_item_item(train, lam, self.config.neighbours, self.config.dense_items)
        # the entry keeps `train` alive: its id is not reused
        key = (id(train), lam, self.config.neighbours, self.config.dense_items)
        cached = self.sources.get(key)
        if cached is not None and cached[0] is train:
            return cached[1]
        source = fit_item_item(train, lam, self.config.neighbours, self.config.dense_items)
        self.sources[key] = (train, source)
        return source

    def score(self, users: IntArray) -> Float32Array:
        """Blend of network and item-to-item scores (history is masked by the harness)."""
        network = self.network_scores(users)
        if not self.config.use_item_item or self.item_item is None:
            return network
        items = self.item_scores(users, self.tuned.decay)
        return blend([network, items], self.tuned.weights, self.item_item.cold())

    def _prepare(self, train: Interactions) -> Interactions:
        """The events as the model sees them: all actions alike when action types are ablated."""
        if self.config.use_actions:
            return train
        same = np.full_like(train.actions, ACTION_CODE["purchase"])
        return Interactions(train.user_ids, train.item_ids, train.users, train.items, same, train.timestamps)

    def _use(self, train: Interactions) -> None:
        """Read each user's latest signals from `train` from now on."""
        from optirec.ml.train.sequences import user_sequences

        self.train = train
        self._sequences = user_sequences(train)

    def network_scores(self, users: IntArray) -> Float32Array:
        """The network's scores of every item for each user's latest signals."""
        import torch

        from optirec.ml.train.loop import ContentTensors, score_users

        assert self.network is not None, "tune first"
        if self._feats is None:
            self._feats = ContentTensors(self.content, torch.device("cpu"))
        return score_users(self.network, self._feats, *self._sequences, users)

    def item_scores(self, users: IntArray, decay: float) -> Float32Array:
        """The item-to-item source's scores from recency-weighted histories."""
        assert self.train is not None and self.item_item is not None
        return self.item_item.batch_scores(weighted_history(self.train, users, decay, ACTION_TABLE))


@dataclass(frozen=True)
class FitResult:
    """The served model (tuned on the validation split, fitted on every event), the same model fitted on every event
    but each user's last (it has seen no test target: for the held-out check against the live version) and what
    tuning chose."""

    model: ServedModel
    held_out_model: ServedModel
    tuned: TunedParams
    seconds: float


def fit_model(
    data: Interactions, content: ContentFeatures, config: FitConfig | None = None, progress: Progress | None = None
) -> FitResult:
    """Tune on the leave-one-out validation split, then fit on all of `data`: the model production serves."""
    config = config or FitConfig()
    fit = ModelFit(content, config, progress)
    valid, test = leave_one_out(data)
    start = time.perf_counter()
    tuned = fit.tune(valid, refits=(test.train, data))
    fit.refit(test.train)
    held_out_model = served_model(fit, data.item_ids, {"valid_ndcg@10": tuned.valid_ndcg})
    fit.refit(data)
    seconds = round(time.perf_counter() - start, 2)
    model = served_model(fit, data.item_ids, {"valid_ndcg@10": tuned.valid_ndcg, "train_seconds": seconds})
    return FitResult(model, held_out_model, tuned, seconds)


def served_model(model: ModelFit, item_ids: list[str], metrics: dict[str, Any]) -> ServedModel:
    """Export a tuned and fitted model to the numpy serving model."""
    import torch

    from optirec.ml.train.loop import ContentTensors

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
    return ServedModel(
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
        metadata={"metrics": metrics, "config": asdict(model.config)},
    )


def _item_item_ndcg(source: ItemItem, valid: EvalSplit, decay: float) -> float:
    """Validation NDCG@10 of an item-to-item source alone, on histories with recency decay `decay`."""
    return ndcg_at_10(lambda u: source.batch_scores(weighted_history(valid.train, u, decay, ACTION_TABLE)), valid)


def _no_content(content: ContentFeatures) -> ContentFeatures:
    """Features with neither tokens nor text (the "without content" ablation)."""
    empty_tokens = np.zeros_like(content.token_ids)
    return ContentFeatures([], empty_tokens, np.zeros((content.token_ids.shape[0], 0), dtype=np.float32))
