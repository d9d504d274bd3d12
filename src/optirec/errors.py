"""Domain errors. Services raise these; one handler in `optirec.gateway.errors` maps them to JSON.

Each error carries its HTTP status and a stable machine-readable `code`, so that the web layer never
decides what a domain failure means.
"""

from __future__ import annotations

from typing import Any

SHOWN_CHARACTERS = 40


def clipped(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """`text` cut to `limit` characters (the last an ellipsis where it was cut)."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def shown(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """A value a caller sent, quoted for a message at bounded length: an error never echoes an unbounded input."""
    return clipped(repr(value), limit)


class OptirecError(Exception):
    """Base of every error optirec raises on purpose."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers  # sent with the answer (`Retry-After` with a 429 or a 503)


class InvalidInput(OptirecError):
    status_code = 422
    code = "invalid_input"


class BadRequest(OptirecError):
    status_code = 400
    code = "bad_request"


class Unauthorized(OptirecError):
    status_code = 401
    code = "unauthorized"


class Forbidden(OptirecError):
    status_code = 403
    code = "forbidden"


class NotFound(OptirecError):
    status_code = 404
    code = "not_found"


class Conflict(OptirecError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(OptirecError):
    status_code = 413
    code = "payload_too_large"


class RateLimited(OptirecError):
    status_code = 429
    code = "rate_limited"


class ModelNotReady(OptirecError):
    status_code = 503
    code = "model_not_ready"


class CorruptArtifact(OptirecError):
    """A model artifact whose checksum or structure does not match its manifest."""

    status_code = 500
    code = "corrupt_artifact"


class Unavailable(OptirecError):
    """A passing failure on our side: worth retrying after `retry_after` seconds (the answer's `Retry-After`)."""

    status_code = 503
    code = "unavailable"
    retry_after = 1


class StorageUnavailable(Unavailable):
    """The database's storage refused a write or a read: a file that cannot be opened or written, an I/O error."""

    code = "storage_unavailable"
