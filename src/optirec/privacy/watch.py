"""Every worker hears of every erasure: what a process keeps in memory of shoppers (the credentials it checked, the
lists made lately, the wearer views and the wearers read from stored profiles, which hold prescriptions) goes within
seconds of an erasure taken by any process, on any host.

The process that takes an erasure drops what it keeps at once (`AppState.customer_erased`); `privacy.delete_customer`
also adds a row to `erasures` (its id and time, naming no one). `ErasureWatch` reads the latest id every
`seconds` in a thread of each worker (one indexed read) and, when it grew, runs the same drop. Without it, the
other workers dropped the kept lists with their next change of serving state and the rest every 10 minutes
(`store.shopper.HELD_AT_MOST_SECONDS`), which still bounds what a worker keeps when the database cannot be read.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import func, select

from optirec.store import Database, failure_name
from optirec.store.tables import Erasure

log = logging.getLogger("optirec.privacy")


class ErasureWatch:
    """Runs `forget` when a customer was erased since the last check (in any process); every `seconds` in a thread
    once started (0: never)."""

    def __init__(self, db: Database, forget: Callable[[], None], seconds: float) -> None:
        self._db, self._forget, self._seconds = db, forget, seconds
        self._latest: int | None = None  # the latest erasure's id at the last check (None: not read yet)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def check(self) -> bool:
        """Read the latest erasure; True (and `forget` run) when one was added since the last check. The first check
        only notes where the log stands: a worker that starts keeps nothing yet."""
        with self._db.read() as session:
            latest = int(session.scalar(select(func.max(Erasure.id))) or 0)
        grew = self._latest is not None and latest != self._latest
        self._latest = latest
        if grew:
            self._forget()
        return grew

    def start(self) -> None:
        if self._seconds > 0:
            self._thread = threading.Thread(target=self._run, name="optirec-erasures", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                self.check()
                if self._failing:
                    log.warning("the erasures can be read again")
                self._failing = False
            except Exception as error:  # a database hiccup: read again at the next turn
                if self._latest is None:  # not read at start: whatever was erased meanwhile counts
                    self._latest = 0
                if not self._failing:
                    log.warning("could not read the erasures: %s", failure_name(error))
                self._failing = True
            if self._stop.wait(self._seconds):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
