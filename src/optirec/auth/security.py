"""Passwords (argon2), access tokens (JWT, HS256) and API keys (random, stored as SHA-256). Pure helpers."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Sequence
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
# The audience of an anonymous session's token: an access token (which carries none) is never taken for one, and a
# session token (which carries it) is never taken for an access token.
SESSION_AUDIENCE = "optirec:session"

_hasher = PasswordHasher()
# Verifying against this when the e-mail is unknown keeps login time independent of whether the account exists.
_DUMMY_HASH = _hasher.hash("not a password")


MIN_PASSWORD_SCORE = 3  # zxcvbn's "safely unguessable": strong against an online guesser, fair against an offline one
_ESTIMATED_LENGTH = 72  # zxcvbn's own limit; a longer password is judged by its first 72 characters


def password_weakness(password: str, *, hints: Sequence[str] = ()) -> str | None:
    """Why `password` is too easy to guess, in words for its owner (never quoting it), or None when it is strong
    enough. Judged by zxcvbn (dictionaries of common passwords, names and words, keyboard patterns, repeats, dates),
    with `hints` (the e-mail address) counted as known to a guesser."""
    from zxcvbn import zxcvbn

    found = zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=[hint[:_ESTIMATED_LENGTH] for hint in hints])
    if found["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = found["feedback"]
    advice = " ".join(part for part in (feedback["warning"], *feedback["suggestions"]) if part)
    return f"This password is too easy to guess. {advice or 'Add another word or two; uncommon words are better.'}"


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


def new_session_id() -> str:
    """A fresh anonymous session id: `s_` and 128 random bits (URL-safe), unguessable."""
    return "s_" + secrets.token_urlsafe(16)


def issue_session_token(session_id: str, *, secret: str, days: int, issuer: str) -> tuple[str, int]:
    """The signed credential of an anonymous session, and its lifetime in seconds: whoever holds it may read and
    write that session's history, and link it to their account when they sign in."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": session_id,
        "aud": SESSION_AUDIENCE,
        "iss": issuer,
        "iat": now,
        "exp": now + timedelta(days=days),
    }
    return jwt.encode(claims, secret, algorithm="HS256"), days * 86_400


def decode_session_token(token: str, *, secret: str, issuer: str) -> str:
    """The session id of a valid session token; `Unauthorized` for an expired, forged or malformed one."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=SESSION_AUDIENCE,
            issuer=issuer,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The anonymous session has expired; start a new one (POST /api/auth/session).") from None
    except jwt.PyJWTError:
        raise Unauthorized("The session token (X-Session-Token) is not valid.") from None
    session_id = claims["sub"]
    if not isinstance(session_id, str) or not session_id.startswith("s_") or len(session_id) > 64:
        raise Unauthorized("The session token (X-Session-Token) is not valid.")
    return session_id


def new_api_key() -> tuple[str, str, str]:
    """A fresh key: (key id, the secret key shown once, its digest to store)."""
    key_id = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    return key_id, key, digest_api_key(key)


def digest_api_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast digest is safe here (a password hash would only slow every request).
    return hashlib.sha256(key.encode()).hexdigest()


def new_secret() -> str:
    """A fresh signing secret: 48 random bytes, URL-safe (64 characters, twice HS256's minimum)."""
    return secrets.token_urlsafe(48)


def load_or_create_secret(path: Path) -> str:
    """The signing secret kept in `path`, created on first use and then shared by every worker. Written into a file
    of its own created mode 600 (never readable by others, even for a moment), then linked in place whole: a
    worker starting at the same time reads either no file or the whole secret, never a half-written one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        written = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(written, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w", encoding="utf-8") as out:
            out.write(new_secret())
        try:
            os.link(written, path)
        except FileExistsError:
            pass  # another worker's came first; read theirs
        finally:
            written.unlink()
    return path.read_text(encoding="utf-8").strip()
