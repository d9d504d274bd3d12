"""Start a real optirec server (and its database) for a benchmark, and stop it afterwards.

The tests that need a real `optirec serve` in a subprocess (workers that die, a SIGKILL during a load, the server's
own log, a promotion under load, the storefront in a browser) start it with this module too: one copy of the helper,
outside the package, which ships neither the benchmarks nor the tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("OPTIREC_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def bench_database(backend: str) -> Iterator[str]:
    """A fresh, migrated database for one benchmark run; dropped (or deleted) afterwards."""
    from optirec.migrate import upgrade

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="optirec-bench-") as folder:
            url = f"sqlite:///{folder}/bench.db"
            upgrade(url)
            yield url
        return
    import psycopg

    admin = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"optirec_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def server_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIREC_")}
    env.update(
        OPTIREC_DATABASE_URL=database_url,
        OPTIREC_DATA_DIR=str(data_dir),
        OPTIREC_ACCESS_LOG="false",
        OPTIREC_LOG_LEVEL="WARNING",
        OPTIREC_DRAIN_SECONDS="0",  # stopped at once: no load balancer to drain from
        OPTIREC_RATE_LIMIT_PER_MINUTE="100000000",
        OPTIREC_RATE_LIMIT_IP_PER_MINUTE="100000000",
    )
    if not database_url.startswith("sqlite"):  # required on PostgreSQL; SQLite keeps its file in the data folder
        env["OPTIREC_SECRET_KEY"] = "benchmark-signing-secret-of-sufficient-length-0123456789"
    env.update(extra)
    return env


@contextmanager
def running_server(env: dict[str, str], *, workers: int = 1) -> Iterator[Server]:
    """`optirec serve` in a subprocess, ready when /readyz answers (every worker it reached has warmed up);
    stopped with SIGTERM (SIGKILL if stuck)."""
    port = free_port()
    command = [sys.executable, "-m", "optirec.runtime.cli", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Server(port, process, env)
    try:
        wait_ready(server)
        yield server
    finally:
        stop(process)


def wait_ready(server: Server, timeout: float = 300.0, *, in_a_row: int = 20) -> None:
    """Wait until /readyz has answered 200 `in_a_row` times running (the workers share the socket, so a run of
    answers has almost surely come from each of them)."""
    deadline = time.monotonic() + timeout
    streak = 0
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            error = server.process.stderr.read().decode() if server.process.stderr else ""
            raise RuntimeError(f"the server exited with {server.process.returncode}: {error[-2000:]}")
        try:
            with urllib.request.urlopen(f"{server.base}/readyz", timeout=5) as response:
                streak = streak + 1 if response.status == 200 else 0
        except OSError:  # not listening yet, or a 503 while warming up
            streak = 0
        if streak >= in_a_row:
            return
        time.sleep(0.05 if streak else 0.2)
    raise RuntimeError("the server did not become ready in time")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stderr is not None:
        process.stderr.close()
