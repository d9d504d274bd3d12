"""Draining on SIGTERM (`runtime.drain`), on a real `optirec serve` process: `/readyz` answers 503 at once while the
worker goes on serving for `OPTIREC_DRAIN_SECONDS`; a request in flight when the signal came (its body still being
sent after the drain) is answered and its signal stored; the process then exits with status 0."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.server import Server, free_port, server_env, stop, wait_ready
from optirec.auth import service as auth_service
from optirec.migrate import upgrade
from optirec.store import Database
from optirec.store.tables import Signal
from tests.runtime.test_supervisor import get, put

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGTERM")]
DRAIN_SECONDS = 2.0


def _key(db: Database) -> str:
    with db.write() as session:
        _key, secret = auth_service.create_api_key(session=session, name="shop", role="service")
    return secret


def _start_request(port: int, key: str, body: bytes) -> socket.socket:
    """A POST of `body` whose headers and first half are sent now: the request is in flight until the rest is."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (f"POST /api/recommendations/signals HTTP/1.1\r\nHost: test\r\nX-API-Key: {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")  # fmt: skip
    connection.sendall(head.encode() + body[: len(body) // 2])
    return connection


def _finish_request(connection: socket.socket, body: bytes) -> int:
    connection.sendall(body[len(body) // 2 :])
    answer = b""
    while b"\r\n" not in answer:
        chunk = connection.recv(4096)
        if not chunk:
            break
        answer += chunk
    connection.close()
    return int(answer.split(b" ", 2)[1]) if answer else 0


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_drains_a_request_in_flight_says_unready_and_exits_0(tmp_path: Path, workers: int) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)
    db = Database(url, pool_size=1)
    key = _key(db)
    env = server_env(url, tmp_path / "var", OPTIREC_DRAIN_SECONDS=str(DRAIN_SECONDS))
    port = free_port()
    command = [sys.executable, "-m", "optirec.runtime.cli", "serve", "--port", str(port), "--workers", str(workers)]
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    server = Server(port, process, env)
    try:
        wait_ready(server, timeout=120)
        assert put(server, "/api/customers/drained", key) == 200
        signals = [{"event_id": "in-flight", "customer_id": "drained", "product_id": "FR-1", "action_type": "view",
                    "occurred_at": "2026-11-01T10:00:00Z"}]  # fmt: skip
        body = json.dumps(signals).encode()
        in_flight = _start_request(port, key, body)
        time.sleep(0.3)  # the server has read the headers
        told = time.monotonic()
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        ready, answer = get(server, "/readyz")
        assert ready == 503 and "Draining" in answer  # the load balancer stops sending
        assert get(server, "/healthz")[0] == 200  # while the worker still serves what reaches it
        time.sleep(max(0.0, told + DRAIN_SECONDS + 0.5 - time.monotonic()))  # past the drain: shutting down now
        assert _finish_request(in_flight, body) == 200
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    with db.read() as session:
        assert session.scalars(select(Signal.event_id)).all() == ["in-flight"]
    db.dispose()
