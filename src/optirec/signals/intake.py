"""Counting what the signal intake answered: accepted, duplicates, rejected and unknown products, per hour.

A serving process keeps its counts in memory (`IntakeTally.add`, a few microseconds under a lock) and writes them
every few seconds from a thread of its own, as one row per hour it counted (`signal_intake_counts`, its source
`host:pid:start`): the row holds the process's totals for that hour and is replaced as they grow, so a write that
fails is made good by the next one, and no two processes ever write the same row. A process killed outright loses
at most its last few seconds of counts (never a signal). An import writes its counts in the same transaction as each
chunk of signals (`record_chunk`), under a source of its own.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from optirec.signals.schemas import SignalReceipt
from optirec.store import Database, utcnow
from optirec.store.sessions import upsert
from optirec.store.tables import SignalIntakeCount

log = logging.getLogger("optirec.signals")

FLUSH_SECONDS = 5.0  # how often a serving process writes its counts
KEEP_HOURS = 26  # hours a process keeps in memory (and rewrites): the console shows 24


@dataclass
class Counts:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    unknown_products: int = 0

    def add(self, receipt: SignalReceipt) -> None:
        self.accepted += receipt.accepted
        self.duplicates += receipt.duplicates
        self.rejected += receipt.rejected
        self.unknown_products += receipt.unknown_products


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def process_source() -> str:
    started = utcnow().strftime("%Y%m%dT%H%M%S")
    return f"{socket.gethostname()[:200]}:{os.getpid()}:{started}"


def _write(session: Session, source: str, hour: datetime, counts: Counts) -> None:
    values = {"hour": hour, "source": source, **vars(counts)}
    upsert(session, SignalIntakeCount, values, key=[SignalIntakeCount.hour, SignalIntakeCount.source])


class IntakeTally:
    """One serving process's counts, written every `FLUSH_SECONDS` by `start()`'s thread and at `stop()`."""

    def __init__(self, db: Database, *, source: str | None = None, flush_seconds: float = FLUSH_SECONDS) -> None:
        self._db = db
        self.source = source or process_source()
        self._flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._hours: dict[datetime, Counts] = {}
        self._dirty: set[datetime] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, receipt: SignalReceipt, at: datetime | None = None) -> None:
        hour = hour_of(at or utcnow())
        with self._lock:
            self._hours.setdefault(hour, Counts()).add(receipt)
            self._dirty.add(hour)

    def flush(self) -> None:
        """Write the hours counted since the last write (their totals so far); forget hours older than a day."""
        with self._lock:
            dirty = {hour: Counts(**vars(self._hours[hour])) for hour in self._dirty}
            self._dirty.clear()
            oldest = hour_of(utcnow()) - timedelta(hours=KEEP_HOURS)
            for hour in [h for h in self._hours if h < oldest]:
                del self._hours[hour]
        if not dirty:
            return
        try:
            with self._db.write() as session:
                for hour, counts in sorted(dirty.items()):
                    _write(session, self.source, hour, counts)
        except Exception:
            with self._lock:  # written again next time
                self._dirty.update(dirty)
            raise

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="optirec-intake", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            self.flush()
        except Exception:
            log.warning("the signal intake counts could not be written at shutdown", exc_info=True)

    def _run(self) -> None:
        while not self._stopping.wait(self._flush_seconds):
            try:
                self.flush()
            except Exception:
                log.warning("the signal intake counts could not be written; trying again", exc_info=True)


class ImportTally:
    """An import's counts, written with each chunk of signals it stores (in the chunk's own transaction)."""

    def __init__(self) -> None:
        self.source = f"import:{uuid.uuid4().hex[:12]}"
        self._hours: dict[datetime, Counts] = {}

    def record_chunk(self, session: Session, receipt: SignalReceipt, at: datetime) -> None:
        hour = hour_of(at)
        counts = self._hours.setdefault(hour, Counts())
        counts.add(receipt)
        _write(session, self.source, hour, counts)


def intake_per_hour(*, session: Session, since: datetime) -> dict[datetime, Counts]:
    """Every source's counts summed per hour, for the hours from `since`."""
    query = (
        select(
            SignalIntakeCount.hour,
            func.sum(SignalIntakeCount.accepted),
            func.sum(SignalIntakeCount.duplicates),
            func.sum(SignalIntakeCount.rejected),
            func.sum(SignalIntakeCount.unknown_products),
        )
        .where(SignalIntakeCount.hour >= since)
        .group_by(SignalIntakeCount.hour)
    )
    return {
        hour_of(hour): Counts(int(a or 0), int(d or 0), int(r or 0), int(u or 0))
        for hour, a, d, r, u in session.execute(query)
    }
