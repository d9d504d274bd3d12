"""One training: export → train → evaluate against the live version on the same held-out split → register →
promote only when not worse (or when forced). A failure leaves the live model serving and is recorded."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from optirec.audit import service as audit
from optirec.catalog.content import product_attributes, product_text
from optirec.errors import InvalidInput
from optirec.settings import Settings
from optirec.store import Database
from optirec.training import registry
from optirec.training.artifacts import Wanted, local_artifact, manifest_checksum, store_artifact
from optirec.training.export import export_events, export_products, keep_top_items

if TYPE_CHECKING:
    from optirec.ml.model.served import ServedModel
    from optirec.ml.train.data import Interactions

log = logging.getLogger("optirec.training")
Progress = Callable[[str], None]
LIVE_EVAL_USERS = 5000  # the live model is scored on at most this many held-out users (a fixed sample)


@dataclass(frozen=True)
class TrainingOutcome:
    version: str
    promoted: bool
    metrics: dict[str, Any]


def run_training(
    settings: Settings,
    db: Database,
    *,
    force: bool = False,
    progress: Progress | None = None,
    actor: str = audit.SCHEDULE_ACTOR,
) -> TrainingOutcome:
    """Train, evaluate against the live version, register; promote when better (or forced), audited as `actor`'s."""
    say = progress or (lambda message: log.info("%s", message))
    from optirec.ml.model.actions import ACTIONS

    events = export_events(db, max_signals=settings.training_max_signals, action_types=ACTIONS)
    events = keep_top_items(events, settings.training_max_items)
    if len(events["users"]) < settings.training_min_signals:
        raise InvalidInput(
            f"Only {len(events['users'])} signals about catalog products; training needs "
            f"{settings.training_min_signals} (OPTIREC_TRAINING_MIN_SIGNALS). Popularity keeps serving."
        )
    say(f"exported {len(events['users']):,} signals")
    try:
        return _train_and_register(settings, db, events, force, say, actor)
    except Exception as error:
        _record_failure(db, error)
        raise


def _train_and_register(
    settings: Settings, db: Database, events: dict[str, list[Any]], force: bool, say: Progress, actor: str
) -> TrainingOutcome:
    from dataclasses import replace

    from optirec.ml.model.content import build_content
    from optirec.ml.train.fit import FitConfig, fit_model
    from optirec.ml.train.inputs import EventsInput, ItemInput, interactions, item_content

    trained = set(events["items"])
    products = [p for p in export_products(db) if p.id in trained or len(trained) < settings.training_max_items]
    items = [ItemInput(p.id, product_text(p), product_attributes(p)) for p in products]
    started = time.perf_counter()
    config = FitConfig()
    config.model = replace(config.model, max_seconds=settings.training_max_seconds,
                           epochs=settings.training_max_epochs or config.model.epochs)  # fmt: skip
    data = interactions(EventsInput(events["users"], events["items"], events["actions"], events["timestamps"]), items)
    fitted = fit_model(data, build_content(data.item_ids, item_content(items)), config, say)
    candidate = _held_out_metrics(fitted.held_out_model, data)
    say(f"candidate scored on {candidate['users']:,.0f} held-out users: ndcg@10 {candidate['ndcg@10']:.4f}")
    fitted.model.metadata["metrics"]["test"] = candidate
    version = fitted.model.version
    path = fitted.model.save(Path(settings.models_dir) / version)
    live = _live_metrics(db, data, settings.models_dir, say)
    better = live is None or candidate["ndcg@10"] >= live["ndcg@10"]
    metrics = {"candidate": candidate, "live": live or {}, "train_seconds": round(time.perf_counter() - started, 1)}
    window = {
        "signals": len(events["users"]),
        "users": len(set(events["users"])),
        "items": len(items),
        "from": _iso(min(events["timestamps"])),
        "to": _iso(max(events["timestamps"])),
    }
    promote = better or force
    with db.write() as session:
        registry.register_version(
            session=session,
            version=version,
            artifact_path=str(path.resolve()),
            checksum=manifest_checksum(path) or "",
            metrics=metrics,
            data_window=window,
            status=registry.CANDIDATE if promote else registry.REJECTED,
            note="" if better else "worse than the live version on the same held-out split",
        )
        store_artifact(session, version, path)  # what a replica on another host loads
        if promote:
            registry.promote(session=session, version=version, note="forced" if force and not better else "")
            detail = {"by_training": True, "forced": bool(force and not better)}
            audit.record(session=session, actor=actor, action=audit.PROMOTE, target=version, detail=detail)
    verdict = "promoted" if promote else "kept the live version"
    live_ndcg = f"{live['ndcg@10']:.4f}" if live else "none"
    say(f"version {version}: ndcg@10 {candidate['ndcg@10']:.4f} vs live {live_ndcg}; {verdict}")
    return TrainingOutcome(version, promote, metrics)


def _live_metrics(db: Database, data: Interactions, models_dir: Path, say: Progress) -> dict[str, float] | None:
    """The live model's metrics on the held-out split the candidate was tested on (leave-one-out, last item)."""
    from optirec.ml.model.served import ServedModel

    with db.read() as session:
        row = registry.live_version(session=session)
        wanted = Wanted(row.id, row.artifact_path, row.checksum) if row is not None else None
    if wanted is None:
        return None
    try:  # trained on another host, it is downloaded from the database
        live = ServedModel.load(local_artifact(db, wanted, models_dir))
    except Exception as error:  # a live model that cannot load cannot win
        say(f"live version {wanted.version} could not be loaded ({error}); the candidate wins")
        return None
    result = _held_out_metrics(live, data)
    say(f"live version scored on {result['users']:,.0f} held-out users: ndcg@10 {result['ndcg@10']:.4f}")
    return result


def _held_out_metrics(model: ServedModel, data: Interactions) -> dict[str, float]:
    """A served model's metrics on the leave-one-out test split of `data` (at most `LIVE_EVAL_USERS` users, a fixed
    sample): each user's history before the last event in, the last event's item the target."""
    from optirec.ml.evaluation.harness import evaluate_scorer
    from optirec.ml.model.actions import ACTIONS
    from optirec.ml.train.splits import leave_one_out

    _valid, test = leave_one_out(data)
    if len(test.users) > LIVE_EVAL_USERS:
        keep = np.sort(np.random.default_rng(0).choice(len(test.users), LIVE_EVAL_USERS, replace=False))
        test = type(test)(test.name, test.train, test.users[keep], test.targets[keep])
    position = {item: k for k, item in enumerate(model.item_ids)}
    to_model = np.array([position.get(item, -1) for item in data.item_ids], dtype=np.int64)
    known = to_model >= 0
    bounds = test.train.user_bounds()

    def score(users: np.ndarray) -> np.ndarray:
        out = np.full((len(users), len(data.item_ids)), -np.inf, dtype=np.float32)
        for row_index, user in enumerate(users):
            lo, hi = bounds[user], bounds[user + 1]
            pairs = zip(test.train.items[lo:hi], test.train.actions[lo:hi], strict=True)
            scores = model.score([(data.item_ids[i], ACTIONS[a]) for i, a in pairs])
            out[row_index, known] = scores[to_model[known]]
        return out

    return evaluate_scorer(score, test)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _record_failure(db: Database, error: Exception) -> None:
    version = "failed-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    log.error("training failed (%s); the live model keeps serving", type(error).__name__)
    with db.write() as session:
        registry.register_version(
            session=session,
            version=version,
            artifact_path="",
            checksum="",
            metrics={},
            data_window={},
            status=registry.FAILED,
            note=f"{type(error).__name__}: {str(error)[:500]}",
        )
