"""The one place that decides which parts a serving process is made of, and builds them (`build_state`)."""

from __future__ import annotations

from optirec.auth.cache import PrincipalCache
from optirec.auth.security import load_or_create_secret
from optirec.gateway.ratelimit import make_rate_limiter
from optirec.gateway.state import AppState
from optirec.inspector.caches import InspectorCaches
from optirec.overview.cache import ConsoleAggregates
from optirec.recommend.live import ServingState
from optirec.recommend.service import ListBuilder
from optirec.recommend.workers import WorkerReport
from optirec.runtime.settle import settle
from optirec.settings import Settings
from optirec.signals.intake import IntakeTally
from optirec.store import Database
from optirec.training.scheduler import Trainer


def build_state(settings: Settings) -> AppState:
    """A process's parts on `settings`: nothing starts (no thread, no connection) until the app's start-up."""
    secret = (
        settings.secret_key.get_secret_value()
        if settings.secret_key is not None
        else load_or_create_secret(settings.data_dir / "secret.key")
    )
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    serving_state = ServingState(db, settings.rules)
    serving_state.snapshots.on_build = settle
    console_seconds = settings.console_cache_seconds if settings.admin_console else 0.0
    list_builder = ListBuilder(
        db,
        serving_state,
        settings.rules,
        tuple(settings.rebuyable_categories),
        exploration=settings.exploration,
        policy_refresh_seconds=settings.experiment_refresh_seconds,
    )
    return AppState(
        settings=settings,
        db=db,
        secret=secret,
        limiter=make_rate_limiter(settings),
        principals=PrincipalCache(settings.auth_cache_seconds),
        list_builder=list_builder,
        worker=WorkerReport(db, serving_state.warmed),
        trainer=Trainer(db, settings),
        intake=IntakeTally(db),
        aggregates=ConsoleAggregates(db, console_seconds),
        inspector=InspectorCaches(db, settings.rules, console_seconds),
        catalog_listeners=[serving_state.snapshots.invalidate],
    )
