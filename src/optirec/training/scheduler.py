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

from optirec.db import Database
from optirec.state import AppState

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


def train_once(state: AppState, *, force: bool = False, progress: Callable[[str], None] | None = None) -> str | None:
    """Run one training under the lock; the new version's id, or None when another training was running."""
    from optirec.training.pipeline import run_training

    with training_lock(state.db, state.settings.data_dir) as held:
        if not held:
            log.info("a training is already running elsewhere; skipped")
            return None
        outcome = run_training(state.settings, state.db, force=force, progress=progress)
        return outcome.version


def start_training_in_background(state: AppState, force: bool = False) -> bool:
    """Start `train_once` in a thread unless this process already trains; True when started."""
    running: threading.Thread | None = state.extras.get("training_thread")
    if running is not None and running.is_alive():
        return False

    def work() -> None:
        try:
            train_once(state, force=force)
        except Exception:
            log.exception("training failed; the live model keeps serving")

    thread = threading.Thread(target=work, name="optirec-training", daemon=True)
    state.extras["training_thread"] = thread
    thread.start()
    return True


class TrainingSchedule:
    """Trains every `interval_minutes` (0: never) from inside the service."""

    def __init__(self, state: AppState, interval_minutes: float) -> None:
        self._state, self._interval = state, interval_minutes * 60
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._interval > 0:
            self._thread = threading.Thread(target=self._run, name="optirec-schedule", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                train_once(self._state)
            except Exception:
                log.exception("scheduled training failed; the live model keeps serving")

    def stop(self) -> None:
        self._stop.set()
