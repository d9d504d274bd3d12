"""Durability: SIGKILL the server in the middle of a signal load; every acknowledged signal is stored once.

A real `optirec serve` runs in a subprocess on each backend. Client threads send single signals and batches with
unique event ids and note every id the server acknowledged with a 2xx; the server is killed with SIGKILL while
requests are in flight; then the database must hold each acknowledged signal exactly once, and re-sending them to
a restarted server must store nothing new.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from benchmarks.server import Server, running_server, server_env
from optirec.auth import service as auth_service
from optirec.store import Database
from optirec.store.tables import Signal

pytestmark = pytest.mark.slow


def _signal(event_id: str) -> dict[str, str]:
    return {"event_id": event_id, "customer_id": "c1", "product_id": "P1", "action_type": "view",
            "occurred_at": "2026-11-01T10:00:00Z"}  # fmt: skip


def _post(port: int, key: str, body: object) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST",
            "/api/recommendations/signals",
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "X-API-Key": key},
        )
        response = connection.getresponse()
        payload = response.read()
        response.close()
        return response.status, payload
    finally:
        connection.close()


def _load(port: int, key: str, prefix: str, acked: list[str], stop: threading.Event) -> None:
    sent = 0
    while not stop.is_set():
        size = 1 if sent % 3 else 50  # singles and batches, interleaved
        ids = [f"{prefix}-{sent + i}" for i in range(size)]
        sent += size
        body = [_signal(i) for i in ids]
        try:
            status, _payload = _post(port, key, body if size > 1 else body[0])
        except OSError:
            return  # the server is gone: whatever was in flight was never acknowledged
        if 200 <= status < 300:
            acked.extend(ids)


def _kill_during_load(server: Server, key: str) -> list[str]:
    acked: list[str] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=_load, args=(server.port, key, f"t{n}", acked, stop), daemon=True) for n in range(4)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    return acked


def test_every_acknowledged_signal_survives_sigkill_once(settings_url: str, tmp_path: Path) -> None:
    db = Database(settings_url, pool_size=1)
    with db.write() as session:
        _key, key = auth_service.create_api_key(session=session, name="load", role="service")
    env = server_env(settings_url, tmp_path / "var")

    with running_server(env, workers=1) as server:
        acked = _kill_during_load(server, key)
    assert len(acked) > 100, "the load should have had signals acknowledged before the kill"

    with db.read() as session:
        stored = session.scalar(select(func.count()).select_from(Signal).where(Signal.event_id.in_(acked[:30000])))
        total = session.scalar(select(func.count()).select_from(Signal))
    assert stored == len(set(acked[:30000])) == len(acked[:30000])
    assert total is not None and total >= len(acked)

    with running_server(env, workers=1) as server:  # a restarted server treats every re-sent signal as known
        body = [_signal(i) for i in acked[:1000]]
        _status, payload = _post(server.port, key, body)
        receipt = json.loads(payload)
    assert receipt["accepted"] == 0 and receipt["duplicates"] == len(body)
    db.dispose()
