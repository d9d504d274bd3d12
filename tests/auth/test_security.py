"""Pure helpers of `optirec.auth.security`: argon2 passwords, JWT access tokens, API keys, the signing secret."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from optirec.auth.security import (
    API_KEY_PREFIX,
    decode_token,
    digest_api_key,
    hash_password,
    issue_token,
    load_or_create_secret,
    new_api_key,
    verify_password,
)
from optirec.errors import Unauthorized

SECRET = "test-secret-key-of-sufficient-length-0123456789"
ISSUER = "optirec"


def _claims(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {"sub": "c_1", "role": "customer", "iss": ISSUER, "iat": now}
    claims["exp"] = now + timedelta(minutes=5)
    claims.update(overrides)
    return claims


def test_password_hash_is_argon2_and_verifies_only_the_right_password() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2") and "correct horse" not in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong horse battery")


def test_verify_password_is_false_for_a_missing_or_broken_hash() -> None:
    # Guards the unknown-e-mail path: it checks a dummy hash, yet must never succeed.
    assert not verify_password(None, "not a password")
    assert not verify_password("not-a-hash", "anything")


def test_issued_token_decodes_to_its_claims() -> None:
    token, seconds = issue_token("c_1", "customer", secret=SECRET, minutes=30, issuer=ISSUER)
    claims = decode_token(token, secret=SECRET, issuer=ISSUER)
    assert (claims.customer_id, claims.role, seconds) == ("c_1", "customer", 1800)
    assert timedelta(minutes=29) < claims.expires_at - datetime.now(UTC) <= timedelta(minutes=30)


def test_expired_token_is_refused_with_a_sign_in_again_message() -> None:
    token = jwt.encode(_claims(exp=datetime.now(UTC) - timedelta(minutes=1)), SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized, match="expired"):
        decode_token(token, secret=SECRET, issuer=ISSUER)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(jwt.encode(_claims(), "another-secret-of-sufficient-length-0123456789"), id="other-secret"),
        pytest.param(jwt.encode(_claims(), None, algorithm="none"), id="alg-none"),
        pytest.param(jwt.encode(_claims(iss="someone-else"), SECRET), id="wrong-issuer"),
        pytest.param(jwt.encode({k: v for k, v in _claims().items() if k != "role"}, SECRET), id="no-role"),
        pytest.param(jwt.encode(_claims(role="superuser"), SECRET), id="unknown-role"),
        pytest.param(jwt.encode({k: v for k, v in _claims().items() if k != "exp"}, SECRET), id="no-expiry"),
        pytest.param("not.a.token", id="garbage"),
        pytest.param("", id="empty"),
    ],
)
def test_forged_or_malformed_token_is_refused(token: str) -> None:
    with pytest.raises(Unauthorized, match="not valid"):
        decode_token(token, secret=SECRET, issuer=ISSUER)


def test_api_key_has_prefix_and_is_stored_only_as_its_digest() -> None:
    key_id, key, digest = new_api_key()
    assert key.startswith(f"{API_KEY_PREFIX}{key_id}_")
    assert digest == digest_api_key(key) and key not in digest and len(digest) == 64
    assert new_api_key()[1] != key


def test_secret_is_created_private_once_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "secret.key"
    first = load_or_create_secret(path)
    assert len(first) >= 48
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == first


_CREATE_WATCHED = """
import os, stat, sys
from pathlib import Path
from optirec.auth.security import load_or_create_secret

folder = Path(sys.argv[1])
modes, inside = set(), []
def watch(event, args):  # at each file operation: the mode of every file in the folder that holds something
    if inside or not event.startswith(("open", "os.")):
        return
    inside.append(event)
    try:
        modes.update(stat.S_IMODE(f.stat().st_mode) for f in folder.iterdir() if f.is_file() and f.stat().st_size)
    finally:
        inside.clear()
os.umask(0o022)
sys.addaudithook(watch)
load_or_create_secret(folder / "secret.key")
print(sorted(modes))
"""


def test_the_secret_is_never_on_disk_readable_by_others(tmp_path: Path) -> None:
    """Regression: the secret was written into a file created with the umask's mode (0644), then `chmod`-ed: for
    a moment it could be read by anyone. Each file operation of its creation is watched (Python's audit hooks)."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _CREATE_WATCHED, str(tmp_path)], capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert json.loads(out.stdout) == [0o600]
    assert len((tmp_path / "secret.key").read_text()) >= 48 and list(tmp_path.iterdir()) == [tmp_path / "secret.key"]
