"""What one process holds for its lifetime: settings, the database, the signing secret, the rate limiter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Request

from optirec.auth.cache import PrincipalCache
from optirec.auth.security import load_or_create_secret
from optirec.db import Database
from optirec.settings import Settings

if TYPE_CHECKING:
    from optirec.gateway.ratelimit import RateLimiter


@dataclass
class AppState:
    settings: Settings
    db: Database
    secret: str
    limiter: RateLimiter
    principals: PrincipalCache
    extras: dict[str, Any] = field(default_factory=dict)
    catalog_listeners: list[Callable[[], None]] = field(default_factory=list)

    def catalog_changed(self) -> None:
        """Tell this process's caches of the catalog that it changed (other processes see it within seconds)."""
        for listener in self.catalog_listeners:
            listener()

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        from optirec.gateway.ratelimit import make_rate_limiter

        secret = (
            settings.secret_key.get_secret_value()
            if settings.secret_key is not None
            else load_or_create_secret(settings.data_dir / "secret.key")
        )
        db = Database(settings.database_url, pool_size=settings.database_pool_size)
        principals = PrincipalCache(settings.auth_cache_seconds)
        return cls(settings=settings, db=db, secret=secret, limiter=make_rate_limiter(settings), principals=principals)


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.optirec
    return state
