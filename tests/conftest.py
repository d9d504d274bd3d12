"""Shared fixtures: settings on a temporary data dir, a migrated database per backend, a client, factories.

Storage and API tests take the `backend` fixture, which runs them on SQLite and on PostgreSQL
(`OPTIREC_TEST_POSTGRES_URL`, default the local server; CI starts it). Each backend's database is migrated once
per test session and emptied between tests.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import re
import subprocess
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from optirec.auth import service as auth_service
from optirec.gateway.state import AppState
from optirec.migrate import upgrade
from optirec.runtime.app import create_app
from optirec.runtime.state import build_state
from optirec.settings import Settings
from optirec.store import Database
from optirec.store.tables import Base

# --- no personal data in any log line written while a test runs -------------------------------------------------

# What must never reach a log: an e-mail address, an access or session token (JWT), an API key, a prescription (its
# stored or sent form), and the passwords the tests use.
PERSONAL_DATA = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]*[A-Za-z]"  # an e-mail address
    r"|eyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]{6,}"  # a JWT
    r"|ork_[0-9a-f]{12}_"  # an API key
    r"|['\"](?:sph|cyl|axis|add|prescription)['\"]|Jsonb\("  # a prescription as JSON or as a driver parameter
    r"|correct horse battery|optirec-demo-2026|hunter2"  # the passwords the tests use
)


class _Everything(logging.Handler):
    """Keeps every record of every logger, formatted as a handler would write it (the traceback included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(autouse=True)
def no_personal_data_in_logs() -> Iterator[None]:
    """Every test's log lines are searched for personal data (`PERSONAL_DATA`); one found fails the test. Regression
    (review item 4): a PostgreSQL error's log held e-mails and prescriptions."""
    handler = _Everything()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    found = [line for line in handler.lines if PERSONAL_DATA.search(line)]
    if found:
        pytest.fail("personal data in the logs:\n" + "\n".join(line[:300] for line in found[:5]), pytrace=False)


POSTGRES_URL = os.environ.get("OPTIREC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgres"]
PASSWORD = "correct horse battery"


def _postgres_admin_url() -> str:
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)


def _create_postgres_database() -> str:
    import psycopg

    name = f"optirec_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with psycopg.connect(_postgres_admin_url(), autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}")
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    import psycopg

    name = make_url(url).database
    with psycopg.connect(_postgres_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per backend for the whole session (PostgreSQL created lazily)."""
    urls: dict[str, str] = {}
    yield urls
    if "postgres" in urls:
        _drop_postgres_database(urls["postgres"])


def _url_for(backend: str, urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend not in urls:
        if backend == "sqlite":
            urls[backend] = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'optirec.db'}"
        else:
            urls[backend] = _create_postgres_database()
        upgrade(urls[backend])
    return urls[backend]


def empty_database(db: Database) -> None:
    with db.engine.begin() as conn:
        if db.backend_name == "sqlite":
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        else:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(
    backend: str, database_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Settings:
    url = _url_for(backend, database_urls, tmp_path_factory)
    return Settings(
        database_url=url,
        data_dir=tmp_path / "var",
        secret_key="test-secret-key-of-sufficient-length-0123456789",  # type: ignore[arg-type]
        console_cache_seconds=0,  # the console's counts fresh on every request (tests/overview covers the reuse)
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def state(settings: Settings) -> Iterator[AppState]:
    state = build_state(settings)
    empty_database(state.db)
    yield state
    state.db.dispose()


@pytest.fixture
def db(state: AppState) -> Database:
    return state.db


@pytest.fixture
def client(settings: Settings, state: AppState) -> Iterator[TestClient]:
    with TestClient(create_app(settings, state)) as test_client:
        yield test_client


# --- factories -------------------------------------------------------------------------------------------------


def product_data(product_id: str = "FR-1", **overrides: Any) -> dict[str, Any]:
    """A valid full-rim frame that takes −6…+4 sphere and 2 D cylinder."""
    data: dict[str, Any] = {
        "id": product_id,
        "name": "Aria Round",
        "brand": "Lumen",
        "category": "eyeglasses",
        "shape": "round",
        "material": "acetate",
        "colour": "tortoise",
        "rim_type": "full-rim",
        "lens_width_mm": 50,
        "bridge_mm": 20,
        "temple_length_mm": 145,
        "lens_height_mm": 42,
        "frame_width_mm": 135,
        "sphere_min": -6,
        "sphere_max": 4,
        "cylinder_max": 2,
        "progressive": True,
        "price": "129.00",
        "currency": "EUR",
        "stock": 5,
        "description": "A round acetate frame.",
    }
    data.update(overrides)
    return data


def signal_data(event_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "event_id": event_id or uuid.uuid4().hex,
        "customer_id": "cust-1",
        "product_id": "FR-1",
        "action_type": "view",
        "occurred_at": "2026-11-01T10:00:00Z",
    }
    data.update(overrides)
    return data


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def register(client: TestClient, email: str = "ada@example.com", password: str = PASSWORD) -> tuple[str, str]:
    """A new customer account: (customer id, access token)."""
    response = client.post("/api/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["customer_id"], body["access_token"]


T = TypeVar("T")


def run_closing(db: Database, work: Coroutine[Any, Any, T]) -> T:
    """Run `work` in an event loop of its own, then close that loop's asynchronous connections, as the app's
    shutdown does (`Database.close_async`)."""

    async def run() -> T:
        try:
            return await work
        finally:
            await db.close_async()

    return asyncio.run(run())


def terminate_other_sessions(db: Database) -> None:
    """End every other session of the test database (the event loop's asynchronous connections among them): the
    next statement on each fails as it does when the database is lost."""
    with db.engine.begin() as other:
        other.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                 " AND pid <> pg_backend_pid()")
        )  # fmt: skip


def make_key(db: Database, role: str = "service") -> str:
    with db.write() as session:
        _key, secret = auth_service.create_api_key(session=session, name=f"{role} key", role=role)  # type: ignore[arg-type]
    return secret


@pytest.fixture
def service_headers(db: Database) -> dict[str, str]:
    return {"X-API-Key": make_key(db, "service")}


@pytest.fixture
def admin_headers(db: Database) -> dict[str, str]:
    return {"X-API-Key": make_key(db, "admin")}


@pytest.fixture
def build_client(settings: Settings, state: AppState) -> Iterator[Callable[..., TestClient]]:
    """A client of an app built inline on the test settings with some of them changed (and its own rate limiter)."""
    opened: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        changed = settings.model_copy(update=overrides)
        test_client = TestClient(create_app(changed, build_state(changed)), raise_server_exceptions=False)
        opened.append(test_client.__enter__())
        return test_client

    yield build
    for test_client in opened:
        test_client.__exit__(None, None, None)


@pytest.fixture
def settings_url(backend: str, database_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of this backend's test database, emptied, for tests that run a real server on it."""
    url = _url_for(backend, database_urls, tmp_path_factory)
    db = Database(url, pool_size=1)
    empty_database(db)
    db.dispose()
    return url


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """`path` refused to this process for writing, as a failing disk or an operator's mistake refuses it: immutable
    (`chattr +i`) as root, whom permissions do not bind, read-only permissions otherwise. Restored on the way out,
    so that the temporary folder can be deleted. Skips, saying why, where neither can be done."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    try:
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", b"") or str(error).encode()
        pytest.skip(f"cannot make {path} immutable as root (needs chattr and CAP_LINUX_IMMUTABLE): {detail!r}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def sqlite_file(url: str, suffix: str = "") -> Path:
    """The file of a SQLite URL's database, or one beside it (`-wal`, `-shm`, `.writelock`)."""
    return Path(f"{make_url(url).database}{suffix}")


@contextmanager
def write_lock_held_by_another_process(db: Database) -> Iterator[None]:
    """SQLite's write lock taken as another process would: an `flock` on its own open file description."""
    fd = os.open(f"{make_url(db.url).database}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
