"""The signal intake's counts (`signals.intake`): kept per process and hour, written as totals, summed per hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from optirec.overview.service import signal_intake
from optirec.signals.intake import IntakeTally
from optirec.signals.schemas import SignalReceipt
from optirec.store import Database


def receipt(accepted: int = 0, duplicates: int = 0, rejected: int = 0, unknown: int = 0) -> SignalReceipt:
    return SignalReceipt(accepted=accepted, duplicates=duplicates, rejected=rejected, unknown_products=unknown)


def test_each_process_writes_its_totals_and_the_hours_sum_every_process(db: Database) -> None:
    now = datetime.now(UTC)
    first, second = IntakeTally(db, source="host:1:a"), IntakeTally(db, source="host:2:b")
    first.add(receipt(accepted=3, unknown=1), at=now)
    first.add(receipt(accepted=1, duplicates=2), at=now - timedelta(hours=2))
    first.flush()
    first.add(receipt(rejected=4), at=now)  # the row of this hour is replaced by the larger totals
    first.flush()
    first.flush()  # nothing new: nothing written, nothing doubled
    second.add(receipt(accepted=5, duplicates=1, rejected=1), at=now)
    second.stop()  # a process that stops writes what it still holds
    with db.read() as session:
        intake = signal_intake(session=session, now=now)
    assert (intake.accepted, intake.duplicates, intake.rejected, intake.unknown_products) == (9, 3, 5, 1)
    latest, earlier = intake.hours[-1], intake.hours[-3]
    assert (latest.accepted, latest.duplicates, latest.rejected, latest.unknown_products) == (8, 1, 5, 1)
    assert (earlier.accepted, earlier.duplicates) == (1, 2)


def test_counts_that_could_not_be_written_are_written_by_the_next_flush(db: Database) -> None:
    tally = IntakeTally(db, source="host:3:c")
    tally.add(receipt(accepted=2))
    db.dispose()
    broken = Database("sqlite:////nonexistent/folder/x.db", pool_size=1)
    tally._db = broken  # the database is unreachable for one write
    with pytest.raises(OperationalError):
        tally.flush()
    tally._db = db
    tally.flush()
    with db.read() as session:
        assert signal_intake(session=session).accepted == 2
