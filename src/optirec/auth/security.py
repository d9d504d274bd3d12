"""Passwords (argon2), access tokens (JWT, HS256) and API keys (random, stored as SHA-256). Pure helpers."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from optirec.errors import Unauthorized

Role = Literal["customer", "service", "admin"]
ROLES: tuple[Role, ...] = ("customer", "service", "admin")
API_KEY_PREFIX = "ork_"

_hasher = PasswordHasher()
# Verifying against this when the e-mail is unknown keeps login time independent of whether the account exists.
_DUMMY_HASH = _hasher.hash("not a password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class TokenClaims:
    customer_id: str
    role: Role
    expires_at: datetime


def issue_token(customer_id: str, role: Role, *, secret: str, minutes: int, issuer: str) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": customer_id,
        "role": role,
        "iss": issuer,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm="HS256"), minutes * 60


def decode_token(token: str, *, secret: str, issuer: str) -> TokenClaims:
    """The claims of a valid token; `Unauthorized` for an expired, forged or malformed one."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=issuer,
            options={"require": ["exp", "sub", "iss", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Your session has expired; please sign in again.") from None
    except jwt.PyJWTError:
        raise Unauthorized("The access token is not valid.") from None
    role = claims.get("role")
    if role not in ROLES or not isinstance(claims["sub"], str):
        raise Unauthorized("The access token is not valid.")
    return TokenClaims(claims["sub"], role, datetime.fromtimestamp(claims["exp"], UTC))


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: (key id, the secret key shown once, its digest to store)."""
    key_id = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    return key_id, key, digest_api_key(key)


def digest_api_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast digest is safe here (a password hash would only slow every request).
    return hashlib.sha256(key.encode()).hexdigest()


def load_or_create_secret(path: Path) -> str:
    """The signing secret kept in `path`, created on first use and then shared by every worker. Written into a file
    of its own created mode 600 (never readable by others, even for a moment), then linked in place whole: a
    worker starting at the same time reads either no file or the whole secret, never a half-written one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        written = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(written, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w", encoding="utf-8") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(written, path)
        except FileExistsError:
            pass  # another worker's came first; read theirs
        finally:
            written.unlink()
    return path.read_text(encoding="utf-8").strip()
