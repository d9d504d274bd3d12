"""Erasure leaves nothing of the customer on disk, and the database's files are private to their owner (SQLite)."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from optirec.migrate import upgrade
from optirec.runtime.app import create_app
from optirec.runtime.state import build_state
from optirec.settings import Settings
from optirec.store import Database
from tests.conftest import PASSWORD, auth_header, register

EMAIL = "erase.me.7731@example.com"
# A prescription whose values appear nowhere else in the database, as its JSON holds them.
PRESCRIPTION = {"right": {"sph": -7.75, "cyl": -1.25, "axis": 173, "add": None},
                "left": {"sph": -7.5, "cyl": -1.5, "axis": 7, "add": None}}  # fmt: skip
TRACES = (EMAIL.encode(), b"-7.75", b"-1.25")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """A server on a SQLite database of its own, and that database's folder."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)
    settings = Settings(database_url=url, data_dir=tmp_path / "var",
                        secret_key="erasure-secret-of-sufficient-length-0123456789",  # type: ignore[arg-type]
                        _env_file=None)  # type: ignore[call-arg]  # fmt: skip
    state = build_state(settings)
    with TestClient(create_app(settings, state)) as client:
        yield client, tmp_path


def _on_disk(folder: Path) -> bytes:
    """Every byte of the database's files: the database, its write-ahead log and the log's index."""
    return b"".join(path.read_bytes() for path in sorted(folder.glob("shop.db*")) if path.is_file())


def _checkpoint(folder: Path) -> None:
    """Copy what the log holds into the database file, as the service's checkpointer does every second."""
    db = Database(f"sqlite:///{folder / 'shop.db'}", pool_size=1)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    db.dispose()


def test_an_erased_customer_leaves_no_trace_in_the_database_files(shop: tuple[TestClient, Path]) -> None:
    """Regression: after `DELETE /api/customers/me` the e-mail and the prescription were still in the SQLite
    write-ahead log (and in the freed pages of the database) until a clean shutdown."""
    client, folder = shop
    _, other = register(client, "stays@example.com")  # the pages the erased rows were on stay in use
    kept = {
        "right": {"sph": 1.0, "cyl": 0.0, "axis": None, "add": None},
        "left": {"sph": 1.0, "cyl": 0.0, "axis": None, "add": None},
    }
    assert client.patch("/api/customers/me", json={"prescription": kept}, headers=auth_header(other)).is_success
    _, token = register(client, EMAIL)
    assert client.patch("/api/customers/me", json={"prescription": PRESCRIPTION}, headers=auth_header(token)).is_success
    _checkpoint(folder)  # the profile in the database file, and its older pages still in the log
    changed = {"right": {**PRESCRIPTION["right"], "axis": 172}, "left": PRESCRIPTION["left"]}
    assert client.patch("/api/customers/me", json={"prescription": changed}, headers=auth_header(token)).is_success
    stored = _on_disk(folder)
    assert all(trace in stored for trace in TRACES)  # the test sees them where they are
    assert client.delete("/api/customers/me", headers=auth_header(token)).status_code == 200
    erased = _on_disk(folder)
    assert [trace for trace in TRACES if trace in erased] == []
    assert b"stays@example.com" in erased


def test_a_reader_that_keeps_the_log_from_emptying_only_delays_it(shop: tuple[TestClient, Path]) -> None:
    """A reader on an older snapshot (a long export, a training's read) keeps the log from being emptied at the
    erasure; the service's checkpointer empties it once the reader is done, without holding writers back."""
    client, folder = shop
    _, token = register(client, EMAIL)
    assert client.patch("/api/customers/me", json={"prescription": PRESCRIPTION}, headers=auth_header(token)).is_success
    reader = sqlite3.connect(folder / "shop.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM customers").fetchone()  # its snapshot holds the log's frames
    try:
        assert client.delete("/api/customers/me", headers=auth_header(token)).status_code == 200
        assert EMAIL.encode() in _on_disk(folder)  # the log could not be emptied yet
        assert client.post("/api/auth/register", json={"email": "next@example.com", "password": PASSWORD}).is_success
    finally:
        reader.rollback()
        reader.close()
    deadline = time.monotonic() + 5
    while EMAIL.encode() in _on_disk(folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [trace for trace in TRACES if trace in _on_disk(folder)] == []


def test_a_new_database_and_its_log_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """Regression: SQLite created the database 0644 (the umask's), and its -wal and -shm files after it."""
    previous = os.umask(0o022)
    try:
        url = f"sqlite:///{tmp_path / 'shop.db'}"
        upgrade(url)
        db = Database(url, pool_size=1)
        with db.write() as session:
            session.connection().exec_driver_sql("CREATE TABLE probe (x)")
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.glob("shop.db*")}
        with db.engine.connect() as connection:  # and what a deletion frees is zeroed, whatever SQLite's build
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        db.dispose()
    finally:
        os.umask(previous)
    assert {"shop.db", "shop.db-wal", "shop.db-shm"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes
