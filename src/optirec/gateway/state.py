"""What one serving process holds for its lifetime, as the web layer reaches it: settings, the database, the signing
secret, the rate limiter, the credential cache, the list builder, this worker's report and the trainer. The runtime
builds it (`optirec.runtime.state.build_state`); a route reads it with the `get_state` dependency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

if TYPE_CHECKING:  # the parts' types only: the web layer reaches them through the state, and the runtime builds them
    from optirec.auth.cache import PrincipalCache
    from optirec.gateway.ratelimit import RateLimiter
    from optirec.inspector.caches import InspectorCaches
    from optirec.overview.cache import ConsoleAggregates
    from optirec.recommend.service import ListBuilder
    from optirec.recommend.workers import WorkerReport
    from optirec.settings import Settings
    from optirec.signals.intake import IntakeTally
    from optirec.store import Database
    from optirec.training.scheduler import Trainer


@dataclass
class AppState:
    settings: Settings
    db: Database
    secret: str
    limiter: RateLimiter
    principals: PrincipalCache
    list_builder: ListBuilder  # builds every list (`recommend.service.ListBuilder`)
    worker: WorkerReport  # what this worker serves, and the write that proves it ready (`/readyz`)
    trainer: Trainer  # trains a new model version, one at a time across every process
    intake: IntakeTally  # what the signal intake answered, per hour, written every few seconds
    aggregates: ConsoleAggregates  # the console's slow counts, reused for a minute and refreshed in the background
    inspector: InspectorCaches  # the profiles as arrays and the coverage map, built at start
    catalog_listeners: list[Callable[[], None]] = field(default_factory=list)
    # Set once the worker is told to stop (SIGTERM): `/readyz` answers 503 while it drains (`runtime.drain`).
    draining: threading.Event = field(default_factory=threading.Event)

    def customer_erased(self) -> None:
        """After an erasure, in this process or in another one (`privacy.watch.ErasureWatch`): the erased customer's
        credentials stop working, and the lists and wearer views this process keeps in memory go
        (`ListBuilder.forget`)."""
        self.principals.clear()
        self.list_builder.forget()

    def catalog_changed(self) -> None:
        """Tell this process's caches of the catalog that it changed (other processes see it within seconds)."""
        for listener in self.catalog_listeners:
            listener()


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.optirec
    return state
