"""The one place that decides which parts a serving process is made of, and builds them (`build_state`)."""

from __future__ import annotations

import logging

from optirec.auth.cache import PrincipalCache
from optirec.auth.security import load_or_create_secret
from optirec.errors import InvalidInput
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
from optirec.store import Database, shared_by_hosts
from optirec.training.scheduler import Trainer

log = logging.getLogger("optirec")


def build_state(settings: Settings) -> AppState:
    """A process's parts on `settings`: nothing starts (no thread, no connection) until the app's start-up."""
    secret = signing_secret(settings)
    if shared_by_hosts(settings.database_url) and settings.redis_url is None:
        log.warning("OPTIREC_REDIS_URL is unset: rate limits are counted per worker, not across the replicas")
    db = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        shopper_history_days=settings.shopper_history_days,
    )
    serving_state = ServingState(
        db, settings.rules, approximate_from=settings.approximate_from_products, engagement=settings.engagement
    )
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


def signing_secret(settings: Settings) -> str:
    """The key that signs access tokens: `OPTIREC_SECRET_KEY`, or on SQLite (one machine) the key kept in
    `<data_dir>/secret.key` (`require_explicit_secret`)."""
    require_explicit_secret(settings)
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    return load_or_create_secret(settings.data_dir / "secret.key")


def require_explicit_secret(settings: Settings) -> None:
    """`InvalidInput` where the key is unset on a database that replicas on several hosts share: a key in one host's
    file would make every other host refuse its tokens, so the start is refused instead."""
    if settings.secret_key is None and shared_by_hosts(settings.database_url):
        raise InvalidInput(
            "OPTIREC_SECRET_KEY must be set with PostgreSQL: every replica, on every host, signs and checks access "
            "tokens with the same key. `optirec secret generate` prints one; give every replica the same value."
        )
