"""A worker that dies is replaced (several workers), or takes the server down with a failure status for its own
supervisor to restart (one worker; a worker that cannot start). Real `optirec serve` processes on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.server import Server, free_port, server_env, stop, wait_ready
from optirec.auth import service as auth_service
from optirec.migrate import upgrade
from optirec.store import Database
from optirec.store.tables import Worker
from tests.conftest import sqlite_file, unwritable

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")]


@contextmanager
def serving(folder: Path, *, workers: int, ready: bool = True) -> Iterator[tuple[Server, Path]]:
    """`optirec serve` on a new SQLite database in `folder`, its stderr in a file; stopped on the way out."""
    url = f"sqlite:///{folder / 'shop.db'}"
    upgrade(url)
    log = folder / "server.log"
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "optirec.runtime.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=server_env(url, folder / "var"), stdout=output, stderr=output,
        )  # fmt: skip
    server = Server(port, process, {})
    try:
        if ready:
            wait_ready(server, timeout=120)
        yield server, log
    finally:
        stop(process)


def workers_of(server: Server) -> set[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()}


def get(server: Server, path: str) -> tuple[int, str]:
    """The status and body; 0 where the connection failed (a worker dying under it)."""
    try:
        with urllib.request.urlopen(f"{server.base}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def put(server: Server, path: str, key: str) -> int:
    """A service's PUT of an empty JSON object: its status, 0 where the connection failed."""
    request = urllib.request.Request(f"{server.base}{path}", data=b"{}", method="PUT",
                                     headers={"Content-Type": "application/json", "X-API-Key": key})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def make_key(url: str) -> str:
    db = Database(url, pool_size=1)
    with db.write() as session:
        _key, secret = auth_service.create_api_key(session=session, name="shop", role="service")
    db.dispose()
    return secret


def rows_written(folder: Path) -> set[int]:
    """The process ids of the workers whose row is in the `workers` table."""
    db = Database(f"sqlite:///{folder / 'shop.db'}", pool_size=1)
    with db.read() as session:
        ids = session.scalars(select(Worker.id)).all()
    db.dispose()
    return {int(worker.rsplit(":", 1)[1]) for worker in ids}


def _listening_and_warmed(server: Server) -> bool:
    """A worker answers /readyz, and not because it is still warming up (that 503 would prove nothing here)."""
    status, body = get(server, "/readyz")
    return status != 0 and "Warming up" not in body


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("not within the time allowed")


def test_a_worker_killed_by_sigbus_is_replaced_and_the_server_serves_on(tmp_path: Path) -> None:
    with serving(tmp_path, workers=2) as (server, log):
        first = workers_of(server)
        assert len(first) == 2
        victim = min(first)
        os.kill(victim, signal.SIGBUS)
        wait_for(lambda: len(workers_of(server)) == 2 and victim not in workers_of(server))
        wait_ready(server, timeout=180)  # a new worker starts and warms up: a minute or more on a busy machine
        assert server.process.poll() is None
        [replacement] = workers_of(server) - first
        wait_for(lambda: replacement in rows_written(tmp_path))  # it has built its app, and set its gauge
        # Prometheus' multi-process mode counts the running workers only: the dead one's gauge went with it.
        metrics = get(server, "/metrics")[1]
        assert 'optirec_worker_serving{state="popularity",version="popularity"} 2.0' in metrics
    said = log.read_text()
    assert f"worker {victim} was killed by SIGBUS; another one starts" in said
    assert "Fatal Python error: Bus error" in said  # the dead worker's threads' tracebacks (faulthandler)


def test_one_worker_killed_by_sigbus_takes_the_server_down_with_that_signal(tmp_path: Path) -> None:
    """With one worker the server is the worker: it dies with it, so that systemd (`Restart=on-failure`) starts it
    again."""
    with serving(tmp_path, workers=1) as (server, log):
        os.kill(server.process.pid, signal.SIGBUS)
        assert server.process.wait(timeout=30) == -signal.SIGBUS
    assert "Fatal Python error: Bus error" in log.read_text()


def test_workers_that_cannot_start_stop_the_server_with_a_failure_status(tmp_path: Path) -> None:
    """Regression: each worker that failed to build its app died with status 1 and uvicorn started another, twice
    a second, forever; and one that failed with uvicorn's start-up status stopped the server with status 0, which
    a supervisor takes for a clean stop. Here the signing secret's file cannot be read (a directory)."""
    (tmp_path / "var" / "secret.key").mkdir(parents=True)
    with serving(tmp_path, workers=2, ready=False) as (server, log):
        assert server.process.wait(timeout=60) == 3  # uvicorn's STARTUP_FAILURE
    assert "this worker cannot start" in log.read_text()


def test_workers_that_die_as_the_shared_memory_file_turns_unwritable_come_back_not_ready(tmp_path: Path) -> None:
    """The review's case: the `-shm` file that SQLite maps made immutable under a running server. A worker whose
    write then touches it dies of SIGBUS (on ext4), and its replacement cannot open it for writing. Regression: the
    replacement answered /readyz 200 while every write failed; it answers 503. Once the file is writable again,
    SIGHUP has the supervisor replace the workers (SQLite keeps the read-only mapping for the process's life)."""
    with serving(tmp_path, workers=2) as (server, _log):
        first = workers_of(server)
        url = f"sqlite:///{tmp_path / 'shop.db'}"
        key = make_key(url)
        with unwritable(sqlite_file(url, "-shm")):
            for n in range(10):  # writes, which touch the mapped file
                put(server, f"/api/customers/c-{n}", key)
                time.sleep(0.2)
            if first <= workers_of(server):
                pytest.skip("no worker died: this filesystem lets a mapped immutable file be written")
            wait_for(lambda: len(workers_of(server)) == 2)
            wait_for(lambda: _listening_and_warmed(server))  # a replacement's start-up takes seconds on a busy machine
            answers = {get(server, "/readyz")[0] for _ in range(20)}
            assert answers == {503}, answers
        server.process.send_signal(signal.SIGHUP)
        wait_ready(server, timeout=180)  # two new workers start and warm up: a minute or more on a busy machine
