"""The served-list log: rows written by the drivers' bulk statements read back unchanged through the model."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from optirec.recommend.servedlog import ServedLog
from optirec.recommend.service import recommendation_id
from optirec.settings import Settings
from optirec.store import Database, utcnow
from optirec.store.tables import ServedRecommendation
from tests.conftest import run_closing, sqlite_file, unwritable, write_lock_held_by_another_process


def _row(i: int) -> dict[str, object]:
    return {"id": f"rec-{i}", "customer_id": None, "session_id": f"s-{i}", "surface": "home",
            "model_version": "popularity", "items": [], "context": None, "served_at": utcnow()}  # fmt: skip


def _count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(ServedRecommendation)) or 0)


def test_rows_from_several_threads_are_all_stored(db: Database) -> None:
    log = ServedLog(db)

    def serve(start: int) -> None:
        for i in range(start, start + 25):
            log.write_many([_row(i)])

    threads = [threading.Thread(target=serve, args=(k * 25,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.write_many([_row(i) for i in range(100, 110)])
    assert _count(db) == 110


def test_a_failed_write_stores_nothing_of_its_rows(db: Database) -> None:
    log = ServedLog(db)
    first = _row(1)
    log.write_many([first])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        # The same row again. (On PostgreSQL the key is the id and the time, migration 0009's partitions: the same
        # id at another time would not be refused; the ids are random, made by the service.)
        log.write_many([_row(2), first])
    assert _count(db) == 1


def test_a_stored_row_reads_back_through_the_model_unchanged(db: Database) -> None:
    row = _row(7) | {
        "customer_id": "c-1",
        "items": [{"product_id": "FR-1", "rank": 1, "score": 0.5}],
        "context": {"page": "product", "product_id": "FR-2", "cart": []},
    }
    ServedLog(db).write_many([row])
    with db.read() as session:
        stored = session.get(ServedRecommendation, "rec-7")
    assert stored is not None
    assert (stored.customer_id, stored.items, stored.context) == ("c-1", row["items"], row["context"])
    assert stored.served_at == row["served_at"]


def test_a_busy_write_lock_is_reported_instead_of_waited_for(db: Database, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's write lock only")
    log = ServedLog(db)
    with write_lock_held_by_another_process(db):
        assert log.write_many([_row(1)], wait=False) is False
        assert _count(db) == 0
    assert log.write_many([_row(1)], wait=False) is True
    assert _count(db) == 1


def test_a_list_served_while_another_process_writes_is_logged(
    client: TestClient, db: Database, backend: str, service_headers: dict[str, str]
) -> None:
    """The list is answered once the lock is free, from the list thread (the event loop never waits on it)."""
    if backend != "sqlite":
        pytest.skip("SQLite's write lock only")
    with write_lock_held_by_another_process(db):
        answered: list[int] = []
        request = threading.Thread(
            target=lambda: answered.append(
                client.post("/api/recommendations/personalized", json={}, headers=service_headers).status_code
            )
        )
        request.start()
        request.join(timeout=0.5)
        assert answered == []  # waiting for the lock, with the served list not yet stored
        health: list[int] = []
        probe = threading.Thread(target=lambda: health.append(client.get("/healthz").status_code))
        probe.start()
        probe.join(timeout=2)
        assert health == [200]  # the event loop still answers meanwhile
    request.join(timeout=10)
    assert answered == [200] and _count(db) == 1


class _CountingLog(ServedLog):
    """The real log, counting its transactions."""

    def __init__(self, db: Database) -> None:
        self.writer = ThreadPoolExecutor(max_workers=1)
        super().__init__(db, self.writer)
        self.transactions = 0

    def write_many(self, rows: list[dict[str, object]], *, wait: bool = True) -> bool:
        self.transactions += 1
        return super().write_many(rows, wait=wait)


def _transactions(db: Database, log: _CountingLog) -> int:
    """How many transactions stored the log's rows: on PostgreSQL the rows' distinct inserting transactions (their
    `xmin`), which the asynchronous inserts leave as SQLite's counted `write_many` calls do."""
    if db.backend_name == "sqlite":
        return log.transactions
    with db.read() as session:
        return int(session.execute(text("SELECT count(DISTINCT xmin::text) FROM served_recommendations")).scalar_one())


def test_lists_of_one_loop_turn_are_committed_in_one_transaction(db: Database) -> None:
    log = _CountingLog(db)

    async def serve() -> None:
        await asyncio.gather(*(log.write_grouped(_row(i)) for i in range(20)))  # twenty lists in one turn
        await log.write_grouped(_row(20))  # a later one, alone

    run_closing(db, serve())
    assert _count(db) == 21 and _transactions(db, log) == 2


def test_a_failed_group_fails_every_list_in_it_and_stores_none(db: Database) -> None:
    log = ServedLog(db, ThreadPoolExecutor(max_workers=1))
    first = _row(1)
    log.write_many([first])

    async def serve() -> list[object]:
        return await asyncio.gather(log.write_grouped(_row(2)), log.write_grouped(first), return_exceptions=True)

    outcomes = run_closing(db, serve())
    assert all(isinstance(o, Exception) and "unique" in str(o).lower() for o in outcomes)
    assert _count(db) == 1


def test_a_group_waits_for_a_busy_lock_off_the_loop(db: Database, backend: str) -> None:
    """While another process holds the write lock the loop keeps turning; the group is stored once it is free."""
    if backend != "sqlite":
        pytest.skip("SQLite's write lock only")
    log = _CountingLog(db)

    async def serve() -> int:
        with write_lock_held_by_another_process(db):
            writes = asyncio.gather(log.write_grouped(_row(1)), log.write_grouped(_row(2)))
            turns = 0
            for _ in range(20):  # the loop is free while the group waits
                await asyncio.sleep(0.005)
                turns += 1
            assert not writes.done() and _count(db) == 0
        await writes
        return turns

    assert asyncio.run(serve()) == 20
    assert _count(db) == 2


def test_lists_served_while_an_insert_is_in_flight_make_the_next_group(db: Database, backend: str) -> None:
    """PostgreSQL: one insert at a time, asynchronous; whatever arrives meanwhile waits for it and goes in the next
    one. The first insert is held in flight by another connection's lock on the table."""
    if backend == "sqlite":
        pytest.skip("SQLite's groups are written in the loop itself")
    log = _CountingLog(db)

    async def serve() -> None:
        with db.engine.connect() as holder:
            holder.execute(text("LOCK TABLE served_recommendations IN EXCLUSIVE MODE"))  # reads only, until commit
            first = asyncio.ensure_future(log.write_grouped(_row(0)))
            await asyncio.sleep(0.05)  # its insert now waits for the lock
            later = [asyncio.ensure_future(log.write_grouped(_row(i))) for i in range(1, 11)]
            await asyncio.sleep(0.05)
            assert not first.done() and not any(w.done() for w in later)
            holder.commit()
        await asyncio.gather(first, *later)

    run_closing(db, serve())
    assert _count(db) == 11 and _transactions(db, log) == 2


async def _building_until(log: ServedLog, release: asyncio.Event, row: dict[str, object] | None) -> None:
    """A list being built until `release` is set: then it hands `row` in (None: it fails instead)."""
    with log.building() as building:
        await release.wait()
        if row is None:
            raise RuntimeError("the list failed")
        committed = building.hand_in(row)
    await committed


def test_a_group_waits_for_the_lists_still_being_built(db: Database) -> None:
    """A list handed in while another is still being built (awaiting its shopper read) waits for it, and the two
    are committed in one transaction."""
    log = _CountingLog(db)
    log.GROUP_WAIT = 30.0  # longer than the test: only the other list's row lets the group go

    async def serve() -> None:
        release = asyncio.Event()
        other = asyncio.ensure_future(_building_until(log, release, _row(1)))
        await asyncio.sleep(0)  # the other list is being built
        first = asyncio.ensure_future(log.write_grouped(_row(0)))
        await asyncio.sleep(0.05)
        assert not first.done() and _count(db) == 0
        release.set()
        await asyncio.gather(first, other)

    run_closing(db, serve())
    assert _count(db) == 2 and _transactions(db, log) == 1


def test_a_list_that_fails_while_being_built_lets_the_group_go(db: Database) -> None:
    log = _CountingLog(db)
    log.GROUP_WAIT = 30.0

    async def serve() -> None:
        release = asyncio.Event()
        failing = asyncio.ensure_future(_building_until(log, release, None))
        await asyncio.sleep(0)
        first = asyncio.ensure_future(log.write_grouped(_row(0)))
        await asyncio.sleep(0.05)
        assert not first.done()
        release.set()
        await asyncio.wait_for(first, 5)
        with pytest.raises(RuntimeError, match="the list failed"):
            await failing

    run_closing(db, serve())
    assert _count(db) == 1


def test_a_group_waits_for_a_slow_list_no_longer_than_the_group_wait(db: Database) -> None:
    log = _CountingLog(db)
    log.GROUP_WAIT = 0.05

    async def serve() -> None:
        release = asyncio.Event()
        slow = asyncio.ensure_future(_building_until(log, release, _row(1)))
        await asyncio.sleep(0)
        await asyncio.wait_for(log.write_grouped(_row(0)), 5)  # committed while the slow list is still being built
        assert not slow.done() and _count(db) == 1
        release.set()
        await slow

    run_closing(db, serve())
    assert _count(db) == 2 and _transactions(db, log) == 2


def test_list_ids_are_unique_and_grow_with_the_serving_time() -> None:
    import time

    ids = []
    for _ in range(3):
        ids += [recommendation_id() for _ in range(1000)]
        time.sleep(0.002)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    stamps = [i[:12] for i in ids]  # the milliseconds: never decreasing, so the log's key grows at its end
    assert stamps == sorted(stamps) and len(set(stamps)) >= 3
    assert abs(int(ids[-1][:12], 16) - time.time() * 1000) < 5_000


@contextmanager
def _storage_refusing_the_log(db: Database, settings: Settings) -> Iterator[None]:
    """The served-list log's storage refuses writes, as a failing disk does: SQLite's write-lock file immutable (or
    read-only); on PostgreSQL an insert into the log fails with an I/O error (SQLSTATE 58030)."""
    if db.backend_name == "sqlite":
        lock = sqlite_file(settings.database_url, ".writelock")
        lock.touch()
        with unwritable(lock):
            yield
        return
    with db.engine.begin() as connection:
        connection.execute(text(
            "CREATE FUNCTION refuse_served_lists() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the disk refused' USING ERRCODE = 'io_error'; END $$; "
            "CREATE TRIGGER refuse_served_lists BEFORE INSERT ON served_recommendations "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_served_lists()"
        ))  # fmt: skip
    try:
        yield
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER refuse_served_lists ON served_recommendations; "
                                    "DROP FUNCTION refuse_served_lists()"))  # fmt: skip


def test_a_list_whose_row_cannot_be_stored_is_still_served_and_counted(
    client: TestClient,
    build_client: Callable[..., TestClient],
    db: Database,
    settings: Settings,
    service_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Regression: with the storage refusing the log's insert (SQLite's write-lock file immutable), every list
    answered 500. The list is the shopper's; its row is only for attribution."""
    from prometheus_client import REGISTRY

    def failures() -> float:
        return REGISTRY.get_sample_value("optirec_served_log_failures_total") or 0.0

    assert client.put("/api/customers/c-private-7", json={}, headers=service_headers).status_code == 200
    before = failures()
    with _storage_refusing_the_log(db, settings), caplog.at_level(logging.WARNING):
        fresh = build_client()  # a new process (on SQLite it opens the lock file at its first write)
        response = fresh.post("/api/recommendations/personalized", json={"customer_id": "c-private-7"},
                              headers=service_headers)  # fmt: skip
    assert response.status_code == 200, response.text
    assert failures() == before + 1 and _count(db) == 0
    [warning] = [r.getMessage() for r in caplog.records if r.name == "optirec.served"]
    assert "served-list log" in warning and "c-private-7" not in caplog.text
