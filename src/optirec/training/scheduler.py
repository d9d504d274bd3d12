"""One training at a time, whoever asks: the schedule inside every worker, an admin, or `optirec train`.

The lock is a PostgreSQL advisory lock (shared by every replica) or, on SQLite, an `flock` on a file in the data
folder (shared by every worker of the machine). Whoever does not get it skips that round.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from optirec.settings import Settings
from optirec.store import Database

log = logging.getLogger("optirec.training")
ADVISORY_KEY = 0x0F71_0EC0  # "optirec training"


@contextmanager
def training_lock(db: Database, data_dir: Path) -> Iterator[bool]:
    """Yields True when this caller holds the training lock, False when someone else trains now."""
    if db.is_sqlite:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(data_dir / "training.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)
        return
    with db.engine.connect() as connection:
        got = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}))
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            connection.commit()


def train_once(
    db: Database, settings: Settings, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> str | None:
    """Run one training under the lock; the new version's id, or None when another training was running."""
    from optirec.training.pipeline import run_training

    with training_lock(db, settings.data_dir) as held:
        if not held:
            log.info("a training is already running elsewhere; skipped")
            return None
        outcome = run_training(settings, db, force=force, progress=progress)
        return outcome.version


class Trainer:
    """A serving process's trainings: on demand, in the background (an administrator's request), and every
    `training_interval_minutes` from inside the service (0: never). One at a time in this process, and across every
    process through `training_lock`."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db, self._settings = db, settings
        self._interval = settings.training_interval_minutes * 60
        self._stop = threading.Event()
        self._schedule: threading.Thread | None = None
        self.running: threading.Thread | None = None  # the training started by `start`, while it runs

    def start(self, *, force: bool = False) -> bool:
        """Start a training in a thread unless this process already runs one; True when started."""
        if self.running is not None and self.running.is_alive():
            return False
        self.running = threading.Thread(target=self._train, args=(force,), name="optirec-training", daemon=True)
        self.running.start()
        return True

    def start_schedule(self) -> None:
        if self._interval > 0:
            self._schedule = threading.Thread(target=self._every_interval, name="optirec-schedule", daemon=True)
            self._schedule.start()

    def stop(self) -> None:
        self._stop.set()

    def _train(self, force: bool) -> None:
        try:
            train_once(self._db, self._settings, force=force)
        except Exception:
            log.exception("training failed; the live model keeps serving")

    def _every_interval(self) -> None:
        while not self._stop.wait(self._interval):
            self._train(False)
