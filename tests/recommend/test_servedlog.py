"""The served-list log: group commit stores every row before its waiter is released, and says when it can't."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from optirec.db import Database, utcnow
from optirec.recommend.models import ServedRecommendation
from optirec.recommend.servedlog import ServedLog


def _row(i: int) -> dict[str, object]:
    return {"id": f"rec-{i}", "customer_id": None, "session_id": f"s-{i}", "surface": "home",
            "model_version": "popularity", "items": [], "context": None, "served_at": utcnow()}  # fmt: skip


def _count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(ServedRecommendation)) or 0)


def test_every_row_is_committed_when_its_future_completes(db: Database) -> None:
    log = ServedLog(db, max_batch=16)
    futures = []
    lock = threading.Lock()

    def serve(start: int) -> None:
        for i in range(start, start + 50):
            future = log.submit(_row(i))
            with lock:
                futures.append(future)

    threads = [threading.Thread(target=serve, args=(k * 50,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for future in futures:
        future.result(timeout=30)
    assert _count(db) == 200
    log.close()


def test_close_commits_what_is_queued_and_a_later_submit_still_works(db: Database) -> None:
    log = ServedLog(db)
    pending = [log.submit(_row(i)) for i in range(20)]
    log.close()
    assert all(f.done() and f.exception() is None for f in pending)
    assert _count(db) == 20
    log.write(_row(20))  # a new writer starts
    assert _count(db) == 21
    log.close()


def test_a_failed_write_fails_every_waiter_and_stores_nothing_of_the_batch(db: Database) -> None:
    log = ServedLog(db)
    log.write(_row(1))
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        log.write(_row(1))  # the same recommendation id again
    assert _count(db) == 1
    log.close()


def test_a_stored_row_reads_back_through_the_model_unchanged(db: Database) -> None:
    row = _row(7) | {
        "customer_id": "c-1",
        "items": [{"product_id": "FR-1", "rank": 1, "score": 0.5}],
        "context": {"page": "product", "product_id": "FR-2", "cart": []},
    }
    log = ServedLog(db)
    log.write(row)
    log.close()
    with db.read() as session:
        stored = session.get(ServedRecommendation, "rec-7")
    assert stored is not None
    assert (stored.customer_id, stored.items, stored.context) == ("c-1", row["items"], row["context"])
    assert stored.served_at == row["served_at"]
