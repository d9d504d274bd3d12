"""Refuse a NUL character in a request's path or query string with 422, before any route sees it.

No route takes one: PostgreSQL refuses it in text (a 500, with the value in the driver's error), SQLite stores it.
Bodies are checked by the models that read them (`optirec.inputs.Input`), each item on its own.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from optirec.gateway.errors import error_response


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]
        ):
            response = error_response(
                422, "invalid_input", "The address holds a NUL character (%00), which no parameter may contain."
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
