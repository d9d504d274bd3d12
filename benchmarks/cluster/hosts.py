"""The programs each host runs: PostgreSQL and Redis on the database host, `optirec serve` on each application
host, HAProxy on the balancer's host. Each is a `Program`: started in its host's namespace, its output in a log
file, stopped by its own process id (never by name)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.cluster.network import Network

REPOSITORY = Path(__file__).resolve().parents[2]
HAPROXY_CONFIG = REPOSITORY / "deploy" / "haproxy.cfg"
APP_PORT = 8000
BALANCER_PORT = 8080


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries of this machine (`/usr/lib/postgresql/<major>/bin`)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def wait_until(check: object, what: str, timeout: float, interval: float = 0.2) -> None:
    """Call `check()` until it returns true; `RuntimeError` naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{what}: not within {timeout:g} s")


@dataclass
class Program:
    """One program on one host (`ip netns exec` execs it: the process id is the program's own)."""

    name: str
    command: list[str]
    log: Path
    env: dict[str, str] | None = None
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, env=self.env, cwd=self.cwd, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send(self, number: int) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(number)

    def wait(self, timeout: float) -> int | None:
        """The exit status, or None if still running after `timeout` seconds."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, number: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        """Signal it (SIGTERM unless told), then SIGKILL if it has not exited within `timeout` seconds."""
        if not self.running:
            return
        self.send(number)
        if self.wait(timeout) is None:
            self.send(signal.SIGKILL)
            self.wait(10)

    def tail(self, characters: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except OSError:
            return ""


@dataclass
class DatabaseHost:
    """PostgreSQL (its own cluster, `initdb` into the run's folder, run as the `postgres` user) and Redis."""

    net: Network
    host: str
    folder: Path
    postgres: Program | None = None
    redis: Program | None = None

    @property
    def address(self) -> str:
        return self.net.hosts[self.host]

    def url(self, database: str = "optirec") -> str:
        return f"postgresql+psycopg://postgres@{self.address}:5432/{database}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.address}:6379/0"

    def init(self) -> None:
        binaries = postgres_bin()
        assert binaries is not None
        data = self.folder / "pgdata"
        data.mkdir(parents=True)
        shutil.chown(self.folder, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
        as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        done = subprocess.run([*as_postgres, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                               "--no-sync", "-E", "UTF8"], capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr[-1000:]}")
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.net.subnet} trust\n")
        options = [f"listen_addresses={self.address}", "port=5432", f"unix_socket_directories={self.folder}",
                   "max_connections=200", "shared_buffers=64MB"]  # fmt: skip
        command = [*self.net.run_in(self.host), *as_postgres, str(binaries / "postgres"), "-D", str(data)]
        self.postgres = Program("postgres", [*command, *(f"-c{o}" for o in options)], self.folder / "postgres.log")
        redis = ["redis-server", "--bind", self.address, "--port", "6379", "--save", "", "--appendonly", "no",
                 "--protected-mode", "no", "--dir", str(self.folder)]  # fmt: skip
        self.redis = Program("redis", [*self.net.run_in(self.host), *redis], self.folder / "redis.log")

    def start_postgres(self) -> None:
        assert self.postgres is not None
        self.postgres.start()
        wait_until(self._postgres_answers, "PostgreSQL on the database host", 30)

    def stop_postgres(self) -> None:
        """A fast shutdown (SIGINT): sessions are ended, what was committed stays."""
        assert self.postgres is not None
        self.postgres.stop(signal.SIGINT, timeout=30)

    def start_redis(self) -> None:
        assert self.redis is not None
        self.redis.start()
        wait_until(lambda: _answers(self.address, 6379, b"PING\r\n", b"+PONG"), "Redis on the database host", 15)

    def _postgres_answers(self) -> bool:
        binaries = postgres_bin()
        assert binaries is not None
        done = subprocess.run([str(binaries / "pg_isready"), "-h", self.address, "-p", "5432", "-q"])
        return done.returncode == 0

    def stop_all(self) -> None:
        for program in (self.postgres, self.redis):
            if program is not None:
                program.stop()


@dataclass
class AppHost:
    """`optirec serve` (one worker) on an application host, with its own data folder."""

    net: Network
    host: str
    folder: Path
    env: dict[str, str]
    program: Program = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [*self.net.run_in(self.host), sys.executable, "-m", "optirec.runtime.cli", "serve",
                   "--host", self.address, "--port", str(APP_PORT), "--workers", "1"]  # fmt: skip
        env = {**self.env, "OPTIREC_DATA_DIR": str(self.folder / "data"), "PYTHONPATH": str(REPOSITORY)}
        # The host's own folder is the working directory: no `.env` of the repository is read.
        self.program = Program(self.host, command, self.folder / "serve.log", env=env, cwd=self.folder)

    @property
    def address(self) -> str:
        return self.net.hosts[self.host]

    def start(self) -> None:
        self.program.start()

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.address}:{APP_PORT}/readyz", timeout=3) as answer:
                return bool(answer.status == 200)
        except OSError:
            if not self.program.running:
                raise RuntimeError(f"{self.host} exited: {self.program.tail()}") from None
            return False


@dataclass
class Balancer:
    """HAProxy with the repository's `deploy/haproxy.cfg`, its addresses given in the environment variables the
    file names; its runtime API on a Unix socket in the run's folder."""

    net: Network
    host: str
    folder: Path
    servers: list[str]  # "address:port" of each application host
    program: Program = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "OPTIREC_HAPROXY_BIND": f"{self.address}:{BALANCER_PORT}",
            "OPTIREC_HAPROXY_SOCKET": str(self.socket),
        }
        env.update({f"OPTIREC_APP{i + 1}": server for i, server in enumerate(self.servers)})  # fmt: skip
        haproxy = shutil.which("haproxy") or "haproxy"
        checked = subprocess.run([haproxy, "-c", "-q", "-f", str(HAPROXY_CONFIG)], env=env, capture_output=True)
        if checked.returncode != 0:
            raise RuntimeError(f"deploy/haproxy.cfg does not check: {checked.stderr.decode()[-1000:]}")
        command = [*self.net.run_in(self.host), haproxy, "-db", "-f", str(HAPROXY_CONFIG)]
        self.program = Program("haproxy", command, self.folder / "haproxy.log", env=env, cwd=self.folder)

    @property
    def address(self) -> str:
        return self.net.hosts[self.host]

    @property
    def socket(self) -> Path:
        return self.folder / "haproxy.sock"

    def start(self) -> None:
        self.program.start()
        wait_until(self.socket.exists, "HAProxy's runtime socket", 15)

    def command(self, line: str) -> str:
        """One command of HAProxy's runtime API (`show stat`, `set server optirec/app1 state maint`)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self) -> dict[str, str]:
        """Each application server's state as the balancer sees it (`UP`, `DOWN`, `MAINT`, `UP 1/2`…)."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {r["svname"]: r["status"] for r in rows if r["pxname"] == "optirec" and r["svname"].startswith("app")}


def _answers(host: str, port: int, ask: bytes, expect: bytes) -> bool:
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.sendall(ask)
        return sock.recv(64).startswith(expect)
