"""Refuse request bodies over the size limit with 413, whether or not they declare a Content-Length."""

from __future__ import annotations

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optirec.gateway.errors import error_response


class BodyLimitMiddleware:
    """`large_limit` for the exact (method, path) pairs of `large_routes` (the bulk imports), `default_limit` for every
    other request: a route that does not take a file never reads one, whatever its path ends with."""

    def __init__(
        self, app: ASGIApp, *, default_limit: int, large_limit: int, large_routes: frozenset[tuple[str, str]]
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.large_limit = large_limit
        self.large_routes = large_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.large_limit if (scope["method"], scope["path"]) in self.large_routes else self.default_limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(
            413,
            "payload_too_large",
            f"The request body is larger than the limit of {limit:,} bytes.",
            {"limit": limit},
        )
        await response(scope, receive, send)


class _BodyTooLarge(StarletteHTTPException):
    """Raised while the body is read. An `HTTPException`, because FastAPI answers any other error met while it
    reads a JSON body with a 400; this one it passes on, and the error handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit:,} bytes.")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
