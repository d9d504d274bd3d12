"""A real server's own log (its stderr: the access log, optirec's warnings and errors, uvicorn's) holds no personal
data after the review's attacks: no e-mail, prescription value, token or password, on either backend.

Regression (review item 4): on PostgreSQL a NUL byte or a NaN answered 500, and the logged exception printed the
statement's parameters (`'prescription': Jsonb({'right': {'sph': -3.25 …`) and e-mail addresses.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from benchmarks.server import Server, free_port, server_env, stop, wait_ready
from tests.conftest import PASSWORD, PERSONAL_DATA

pytestmark = pytest.mark.slow
EMAIL = "victim.logs@example.com"
# A prescription no log line has any other reason to hold.
PRESCRIPTION = {"right": {"sph": -7.25, "cyl": -1.75, "axis": 61, "add": None}, "left": {"sph": -6.75, "cyl": 0}}
VALUES = ("7.25", "1.75", "6.75")


def _call(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
          *, form: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, Any]:  # fmt: skip
    data, sent = raw, dict(headers or {})
    if form is not None:
        data, sent["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    elif body is not None:
        data, sent["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif raw is not None:
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _attack(base: str) -> list[str]:
    """The review's requests, as a shopper and as an attacker; the tokens issued (which no log may hold)."""
    status, body = _call(base, "POST", "/api/auth/register", {"email": EMAIL, "password": PASSWORD})
    assert status == 201, body
    token = body["access_token"]
    me = {"Authorization": f"Bearer {token}"}
    _, session = _call(base, "POST", "/api/auth/session")
    anonymous = {"X-Session-Token": session["session_token"]}
    assert _call(base, "PATCH", "/api/customers/me", {"prescription": PRESCRIPTION}, me)[0] == 200
    statuses = [
        _call(base, "PATCH", "/api/customers/me", {"prescription": {"right": {"sph": "1e5000000"}, "left": {}}}, me)[0],
        _call(base, "PATCH", "/api/customers/me", {"preferences": {"shapes": ["round\x00"]}}, me)[0],
        _call(base, "PATCH", "/api/customers/me", raw=b'{"pd_mm": NaN}', headers=me)[0],
        _call(base, "POST", "/api/auth/register", {"email": "victim\x00x@example.com", "password": PASSWORD})[0],
        _call(base, "POST", "/api/auth/token", form={"username": EMAIL, "password": "wrong password!"})[0],
        _call(base, "POST", "/api/auth/token", form={"username": f"{EMAIL}\x00", "password": PASSWORD})[0],
        _call(base, "GET", "/api/catalog/products?q=%00")[0],
        _call(base, "GET", "/api/catalog/products/p%00")[0],
        _call(base, "GET", "/api/customers/me", headers={"Authorization": f"Bearer {token}x"})[0],
        _call(base, "POST", "/api/recommendations/personalized", {"limit": 3}, me)[0],
        _call(base, "POST", "/api/recommendations/personalized", {"limit": 3}, anonymous)[0],
        _call(base, "GET", "/api/customers/me/export", headers=me)[0],
    ]  # fmt: skip
    assert all(status < 500 for status in statuses), statuses
    assert _call(base, "DELETE", "/api/customers/me", headers=me)[0] == 200
    return [token, session["session_token"]]


def test_a_real_servers_log_holds_no_personal_data(settings_url: str, tmp_path: Path) -> None:
    log_path = tmp_path / "server.log"
    env = server_env(settings_url, tmp_path / "var", OPTIREC_ACCESS_LOG="true", OPTIREC_LOG_LEVEL="DEBUG")
    port = free_port()
    command = [sys.executable, "-m", "optirec.runtime.cli", "serve", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(Server(port, process, env), in_a_row=1)
            tokens = _attack(f"http://127.0.0.1:{port}")
        finally:
            stop(process)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    assert "PATCH /api/customers/me 422" in text  # the log was written, and at INFO
    leaks = [line for line in text.splitlines() if PERSONAL_DATA.search(line) or any(v in line for v in VALUES)]
    leaks += [line for line in text.splitlines() if any(token[-20:] in line for token in tokens)]
    assert leaks == []
