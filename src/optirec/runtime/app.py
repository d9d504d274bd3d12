"""The web application: `create_app(settings)` assembles the gateway and every domain's routes."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from optirec import __version__
from optirec.api.admin import router as admin_router
from optirec.api.auth import router as auth_router
from optirec.api.catalog import router as catalog_router
from optirec.api.customers import router as customers_router
from optirec.api.experiments import router as experiments_router
from optirec.api.fit import router as fit_router
from optirec.api.health import router as health_router
from optirec.api.inspector import router as inspector_router
from optirec.api.recommendations import router as recommend_router
from optirec.api.signals import router as signals_router
from optirec.gateway.bodylimit import BodyLimitMiddleware
from optirec.gateway.errors import install_error_handlers
from optirec.gateway.guard import NulGuardMiddleware
from optirec.gateway.observability import ObservabilityMiddleware
from optirec.gateway.ratelimit import RateLimitMiddleware
from optirec.gateway.state import AppState
from optirec.inspector.caches import InspectorCaches
from optirec.overview.cache import ConsoleAggregates
from optirec.privacy.watch import ErasureWatch
from optirec.recommend.experiment_results import GuardrailWatch
from optirec.recommend.live import LiveModel
from optirec.recommend.service import ListBuilder
from optirec.recommend.watcher import ModelWatcher
from optirec.recommend.workers import WorkerReport
from optirec.runtime.drain import drain_on_sigterm
from optirec.runtime.settle import settle
from optirec.runtime.state import build_state
from optirec.settings import Settings

# The bulk imports, whose body is a file: the only requests allowed `OPTIREC_MAX_IMPORT_BYTES` (their routes read it
# only once the caller is known to be a server).
IMPORT_ROUTES = frozenset({("POST", "/api/catalog/products/import"), ("POST", "/api/customers/import")})
log = logging.getLogger("optirec")


def load_model(path: Path, version: str) -> LiveModel:
    from optirec.recommend.model_adapter import load_live_model

    return load_live_model(path, version)


def _warm(list_builder: ListBuilder, report: WorkerReport, console: tuple[ConsoleAggregates, InspectorCaches]) -> None:
    """What a worker builds before it says it is ready: the lists' state and compiled kernels (`ListBuilder.warm`),
    then the console's slow counts and arrays, so that no operator waits for them. The console's are built before
    the worker is ready rather than beside its first lists: on `make bench-serve`'s large shop (200,000 customers)
    they took the interpreter from the lists for tens of seconds after a start, the first 10 s of lists at 100/s
    answered at a p50 of 100-130 ms and a p99 of 2.2-3.3 s (6.7 and 21 ms without them; docs/benchmarks.md)."""
    serving_state = list_builder.serving_state
    try:
        list_builder.warm()
    except Exception:  # the first request computes what is missing
        log.exception("warm-up failed")
    try:
        for part in console:
            try:
                part.warm()
            except Exception:  # the console's first request makes them
                log.warning("the console's counts could not be made at start", exc_info=True)
    finally:
        gc.collect()  # the start-up's own garbage, before it is frozen (the worker is not ready yet)
        settle()
        serving_state.warmed.set()
        report.write()  # the worker's row says it is warmed up


def create_app(settings: Settings, state: AppState | None = None) -> FastAPI:
    """A FastAPI app on `settings`; `state` may be passed in (tests share one database between apps)."""
    state = state or build_state(settings)
    logging.getLogger("optirec").setLevel(settings.log_level)
    app = FastAPI(
        title="optirec",
        version=__version__,
        summary="Personalized recommendations for shops whose products must fit the customer.",
        lifespan=_lifespan(state, settings),
    )
    app.state.optirec = state
    install_error_handlers(app)
    _add_routes(app, settings)
    _add_middleware(app, state, settings)
    return app


def _lifespan(state: AppState, settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What a worker starts before its first request and stops after its last: the model watcher, the warm-up, the
    training schedule, and the database."""
    serving_state, report = state.list_builder.serving_state, state.worker
    watcher = ModelWatcher(
        state.db,
        serving_state,
        load_model,
        poll_seconds=settings.model_poll_seconds,
        on_swap=settle,
        report=report,
        models_dir=settings.models_dir,
    )

    guardrail = GuardrailWatch(state.db, settings.experiment_guardrail_minutes, state.list_builder.book.refresh)
    erasures = ErasureWatch(state.db, state.customer_erased, settings.erasure_check_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        watcher.start()  # loads the live model and maps it onto the catalog before the first request
        try:  # the running experiments and the shipped policy, read before the first list rather than in it
            state.list_builder.book.get()
        except Exception:  # a database that is down at start: the first list reads them
            log.exception("could not read the experiments at start")
        warm = threading.Thread(
            target=_warm,
            args=(state.list_builder, report, (state.aggregates, state.inspector)),
            name="optirec-warm",
            daemon=True,
        )
        warm.start()
        state.trainer.start_schedule()
        state.intake.start()
        undo_drain = drain_on_sigterm(state.draining, settings.drain_seconds)
        guardrail.start()
        erasures.start()
        yield
        erasures.stop()
        guardrail.stop()
        undo_drain()
        state.intake.stop()  # its last counts, while the database is open
        warm.join(timeout=60)  # it reads the database, which is closed below
        state.trainer.stop()
        watcher.stop()
        report.close()  # its row: this worker no longer serves
        await state.db.close_async()  # this loop's connections (PostgreSQL's event-loop reads and writes)
        state.db.dispose()

    return lifespan


def _add_routes(app: FastAPI, settings: Settings) -> None:
    # FastAPI tries the routes in order, each try a few microseconds: the hot paths come first, the lists then the
    # signals. No two routers' paths overlap, so the order changes nothing else.
    routers = (
        health_router,
        recommend_router,
        signals_router,
        auth_router,
        catalog_router,
        customers_router,
        fit_router,
        admin_router,
        experiments_router,
        inspector_router,
    )
    for router in routers:
        app.include_router(router)
    if settings.storefront:
        from optirec.storefront.views import install as install_storefront

        install_storefront(app)
    if settings.admin_console:
        from optirec.admin_console.views import install as install_console

        install_console(app)


def _add_middleware(app: FastAPI, state: AppState, settings: Settings) -> None:
    # Added inside-out: the last one added sees the request first.
    app.add_middleware(RateLimitMiddleware, limiter=state.limiter, settings=settings)
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_body_bytes,
        large_limit=settings.max_import_bytes,
        large_routes=IMPORT_ROUTES,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID", "X-Session-Token"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(ObservabilityMiddleware, access_log=settings.access_log)
    if settings.trusted_proxies:  # outermost: the rate limits see the client the proxy names
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
