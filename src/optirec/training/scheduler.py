"""One training at a time, whoever asks: the schedule inside every worker, an admin, or `optirec train`.

The lock is the store's (`Database.training_lock`): a PostgreSQL advisory lock (shared by every replica) or, on
SQLite, an `flock` on a file in the data folder (shared by every worker of the machine). Whoever does not get it skips
that round.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from optirec.audit import service as audit
from optirec.errors import OptirecError
from optirec.settings import Settings
from optirec.store import Database, utcnow

if TYPE_CHECKING:
    from optirec.training.maintain import MaintenanceReport

log = logging.getLogger("optirec.training")


def train_once(
    db: Database,
    settings: Settings,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    actor: str = audit.SCHEDULE_ACTOR,
) -> str | None:
    """Run one training under the lock; the new version's id, or None when another training was running."""
    from optirec.training.pipeline import run_training

    with db.training_lock(settings.data_dir) as held:
        if not held:
            log.info("a training is already running elsewhere; skipped")
            return None
        outcome = run_training(settings, db, force=force, progress=progress, actor=actor)
        return outcome.version


class TrainingRun(BaseModel):
    """A training this process started on demand: what it is doing now, and how it ended."""

    model_config = ConfigDict(frozen=True)

    started_at: datetime
    stage: str = "starting"  # the pipeline's latest progress message
    finished_at: datetime | None = None
    version: str | None = None  # the version it registered (None: another training ran, or it failed early)
    error: str | None = None  # why it did not finish (its message: never a customer's data)
    running: bool = True


class Trainer:
    """A serving process's trainings: on demand, in the background (an administrator's request), and every
    `training_interval_minutes` from inside the service (0: never). One at a time in this process, and across every
    process through `Database.training_lock`."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db, self._settings = db, settings
        self._interval = settings.training_interval_minutes * 60
        self._maintain_interval = settings.maintain_interval_minutes * 60
        self._stop = threading.Event()
        self._schedule: threading.Thread | None = None
        self.running: threading.Thread | None = None  # the training started by `start`, while it runs
        self.last: TrainingRun | None = None  # the latest training started by `start`: running or finished

    def start(self, *, force: bool = False, actor: str = audit.SCHEDULE_ACTOR) -> bool:
        """Start a training in a thread unless this process already runs one; True when started. Its promotion, if
        any, is audited as `actor`'s (the administrator who asked)."""
        if self.running is not None and self.running.is_alive():
            return False
        self.last = TrainingRun(started_at=utcnow())
        self.running = threading.Thread(
            target=self._train_now, args=(force, actor), name="optirec-training", daemon=True
        )
        self.running.start()
        return True

    def start_schedule(self) -> None:
        if self._interval > 0:
            self._schedule = threading.Thread(target=self._every_interval, name="optirec-schedule", daemon=True)
            self._schedule.start()
        if self._maintain_interval > 0:
            threading.Thread(target=self._maintain_every_interval, name="optirec-maintain", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _train(self, force: bool) -> None:
        try:
            train_once(self._db, self._settings, force=force)
        except Exception:
            log.exception("training failed; the live model keeps serving")

    def _train_now(self, force: bool, actor: str) -> None:
        """An on-demand training, its progress kept in `last` for the console to poll."""

        def say(message: str) -> None:
            log.info("%s", message)
            if self.last is not None:
                self.last = self.last.model_copy(update={"stage": message})

        version: str | None = None
        error: str | None = None
        try:
            version = train_once(self._db, self._settings, force=force, progress=say, actor=actor)
            if version is None:
                error = "Another training was running (in another worker or `optirec train`); this one was skipped."
        except OptirecError as refused:  # too few signals, and the like: the operator can act on the message
            log.warning("training refused: %s", refused.message)
            error = refused.message
        except Exception as failed:
            log.exception("training failed; the live model keeps serving")
            error = f"The training failed ({type(failed).__name__}); the live model keeps serving."
        if self.last is not None:
            self.last = self.last.model_copy(
                update={"running": False, "finished_at": utcnow(), "version": version, "error": error}
            )

    def _every_interval(self) -> None:
        while not self._stop.wait(self._interval):
            self._train(False)

    def _maintain_every_interval(self) -> None:
        while not self._stop.wait(self._maintain_interval):
            try:
                maintain_once(self._db, self._settings)
            except Exception:  # the next round tries again
                log.exception("maintenance failed")


def maintain_once(db: Database, settings: Settings) -> MaintenanceReport | None:
    """Run `optirec maintain` under the training lock (one at a time across every process, never beside a
    training); None when someone else held it."""
    from optirec.training.maintain import maintain

    with db.training_lock(settings.data_dir) as held:
        if not held:
            log.info("a training or maintenance is running elsewhere; maintenance skipped")
            return None
        return maintain(db, settings)
