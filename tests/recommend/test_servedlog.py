"""The served-list log: rows written by the drivers' bulk statements read back unchanged through the model."""

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


def test_rows_from_several_threads_are_all_stored(db: Database) -> None:
    log = ServedLog(db)

    def serve(start: int) -> None:
        for i in range(start, start + 25):
            log.write(_row(i))

    threads = [threading.Thread(target=serve, args=(k * 25,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.write_many([_row(i) for i in range(100, 110)])
    assert _count(db) == 110


def test_a_failed_write_stores_nothing_of_its_rows(db: Database) -> None:
    log = ServedLog(db)
    log.write(_row(1))
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        log.write_many([_row(2), _row(1)])  # the same recommendation id again
    assert _count(db) == 1


def test_a_stored_row_reads_back_through_the_model_unchanged(db: Database) -> None:
    row = _row(7) | {
        "customer_id": "c-1",
        "items": [{"product_id": "FR-1", "rank": 1, "score": 0.5}],
        "context": {"page": "product", "product_id": "FR-2", "cart": []},
    }
    ServedLog(db).write(row)
    with db.read() as session:
        stored = session.get(ServedRecommendation, "rec-7")
    assert stored is not None
    assert (stored.customer_id, stored.items, stored.context) == ("c-1", row["items"], row["context"])
    assert stored.served_at == row["served_at"]
