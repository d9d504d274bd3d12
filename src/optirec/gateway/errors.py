"""One JSON error shape for every 4xx and 5xx: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from optirec.errors import OptirecError, StorageUnavailable, Unavailable, clipped
from optirec.store import failure_name

log = logging.getLogger("optirec.errors")
trace = logging.getLogger("optirec.errors.trace")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


class ErrorResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


MESSAGE_CHARACTERS = 500  # the most of a message an answer carries: no error echoes an unbounded input


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": clipped(message, MESSAGE_CHARACTERS), "details": details}}


def error_response(status: int, code: str, message: str, details: Any = None, headers: Any = None) -> ErrorResponse:
    return ErrorResponse(error_body(code, message, details), status_code=status, headers=headers)


def _describe(errors: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    """Turn pydantic errors into a readable message and a list of `{field, message}` (never the input value)."""
    details = []
    for error in errors:
        location = [clipped(str(part)) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        message = clipped(str(error.get("msg", "invalid")).removeprefix("Value error, "), MESSAGE_CHARACTERS)
        details.append({"field": ".".join(location) or None, "message": message, "type": error.get("type")})
    first = details[0] if details else {"field": None, "message": "invalid request"}
    where = f"{first['field']}: " if first["field"] else ""
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return f"{where}{first['message']}{more}", details


async def _on_domain_error(request: Request, exc: Exception) -> ErrorResponse:
    assert isinstance(exc, OptirecError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    if isinstance(exc, Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, StorageUnavailable):  # the operator's business: say what the storage refused
        route = getattr(request.scope.get("route"), "path", "unmatched")
        log.warning("storage unavailable on %s %s: %s", request.method, route, failure_name(exc))
    return error_response(exc.status_code, exc.code, exc.message, exc.details, {**headers, **(exc.headers or {})})


async def _on_validation_error(_request: Request, exc: Exception) -> ErrorResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON.", None)
    message, details = _describe(errors)
    return error_response(422, "invalid_input", message, details)


async def _on_http_error(_request: Request, exc: Exception) -> ErrorResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), None, exc.headers)


def internal_error_response() -> ErrorResponse:
    return error_response(500, "internal_error", "Something went wrong on our side; it has been logged.")


def log_unexpected(scope: Scope, exc: BaseException) -> None:
    """Log an error no handler expected: the route template (a raw path may hold a customer id), the error's type,
    and, on its own logger, where it was raised: the frames without any message or value (a driver's message may
    quote an e-mail address, a prescription or a token of the request)."""
    route = getattr(scope.get("route"), "path", "unmatched")
    log.error("unhandled error on %s %s: %s", scope.get("method"), route, type(exc).__name__)
    trace.error("%s raised at:\n%s", type(exc).__name__, "".join(_frames(exc)).rstrip())


def _frames(exc: BaseException) -> list[str]:
    """The tracebacks of `exc` and the errors it was raised from or during, as file, line and function: no message,
    no value, no line of code."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # (no source lines looked up: they are not logged, and the look-up read the source files: 0.3-4 ms an error)
        frames = traceback.StackSummary.extract(traceback.walk_tb(current.__traceback__), lookup_lines=False)
        lines[:0] = [f"{type(current).__name__} at\n", *(f"  {f.filename}:{f.lineno} in {f.name}\n" for f in frames)]
        current = current.__cause__ or current.__context__
    return lines


async def _on_unexpected(request: Request, exc: Exception) -> ErrorResponse:
    log_unexpected(request.scope, exc)
    return internal_error_response()


async def _on_database_unavailable(request: Request, exc: Exception) -> ErrorResponse:
    # A lost connection (the server restarted, the network dropped): the pool has dropped its connections and
    # the next request opens new ones, so this one is worth retrying.
    route = getattr(request.scope.get("route"), "path", "unmatched")
    log.warning("database unavailable on %s %s: %s", request.method, route, failure_name(exc))
    return error_response(
        503, "database_unavailable", "The database could not be reached; try again in a moment.", None,
        {"Retry-After": "1"},
    )  # fmt: skip


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OperationalError, _on_database_unavailable)
    app.add_exception_handler(OptirecError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
