"""Request ids, the access log and Prometheus metrics, as one pure ASGI middleware.

The access log names the route template (`/api/customers/me`), never the raw path, query string, body or any
header value, so that no personal data (and no prescription) reaches the logs.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optirec.gateway.errors import internal_error_response, log_unexpected

log = logging.getLogger("optirec.access")

REQUESTS = Counter("optirec_http_requests_total", "HTTP requests by route and status.", ["method", "route", "status"])
LATENCY = Histogram(
    "optirec_http_request_seconds",
    "HTTP request latency by route.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
_VALID_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
# A request whose caller went away before its answer started (a closed tab, a client's or a load balancer's
# timeout): nginx's "client closed request". Counted and logged by the access log under it, never as an error.
CLIENT_CLOSED = 499


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._incoming_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started_at = time.perf_counter()
        status = 500
        started = False
        gone = False  # the caller went away before the answer started

        async def receive_noting_gone() -> Message:
            nonlocal gone
            message = await receive()
            gone = gone or (message["type"] == "http.disconnect" and not started)
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive_noting_gone, send_with_id)
        except ClientDisconnect:  # raised where the body was read: no one is left to answer, and nothing went wrong
            pass
        except Exception as error:
            # Answered and logged here, and not raised further: Starlette's outermost middleware would send the 500
            # without the request id, and the server would log the error's message, which may quote the request.
            log_unexpected(scope, error)
            if not started:
                await internal_error_response()(scope, receive, send_with_id)
        finally:
            # (a route whose body FastAPI reads answers a 400 to a caller who left while it was read; no one got it)
            self._record(scope, CLIENT_CLOSED if gone else status, time.perf_counter() - started_at, request_id)

    @staticmethod
    def _incoming_id(scope: Scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                text = value.decode("latin-1")
                return text if _VALID_ID.match(text) else None
        return None

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = _route_template(scope)
        method = scope["method"]
        REQUESTS.labels(method, route, str(status)).inc()
        LATENCY.labels(method, route).observe(seconds)
        if self.access_log:
            state: dict[str, Any] = scope.get("state", {})
            log.info(
                "%s %s %d %.1fms id=%s who=%s",
                method,
                route,
                status,
                seconds * 1000,
                request_id,
                state.get("principal_kind", "anonymous"),
            )
