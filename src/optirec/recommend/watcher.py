"""Keeps every worker on the live model: polls the registry and swaps a newly promoted model in.

Loading happens beside the serving path (in this thread); the swap is one reference assignment, so requests never
fail and never mix versions. An artifact that fails its checksum is refused and the current model keeps serving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from optirec.db import Database
from optirec.errors import OptirecError
from optirec.recommend.live import Engine, LiveModel
from optirec.training.registry import live_version

log = logging.getLogger("optirec.models")
Loader = Callable[[Path, str], LiveModel]


class ModelWatcher:
    def __init__(
        self,
        db: Database,
        engine: Engine,
        loader: Loader,
        *,
        poll_seconds: float,
        on_swap: Callable[[], None] | None = None,
    ) -> None:
        """`on_swap` runs after each swap (the app freezes the new model's objects out of the collector's way)."""
        self._db, self._engine, self._loader, self._poll = db, engine, loader, poll_seconds
        self._on_swap = on_swap
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: set[str] = set()

    def check(self) -> bool:
        """Load the live version if it is not the one served; True when the model changed."""
        with self._db.read() as session:
            row = live_version(session=session)
            wanted = (row.id, row.artifact_path) if row is not None else None
        current = self._engine.model
        if wanted is None:
            if current is not None:
                self._engine.swap_model(None)
                return True
            return False
        version, path = wanted
        if (current is not None and current.version == version) or version in self._refused:
            return False
        try:
            model = self._loader(Path(path), version)
        except (OptirecError, OSError, ValueError, KeyError) as error:
            self._refused.add(version)
            log.error("model %s refused at load, keeping %s: %s", version, self._engine.version, error)
            return False
        try:
            self._engine.prepare(model)
        except Exception:  # the first request will try again; the swap must not wait on it
            log.exception("could not map model %s onto the catalog ahead of serving", version)
        self._engine.swap_model(model)
        log.info("now serving model %s", version)
        if self._on_swap is not None:
            self._on_swap()
        return True

    def start(self) -> None:
        try:
            self.check()
        except Exception:  # a database that is down at start must not keep the service from starting
            log.exception("model check at start failed; serving popularity until the next check")
        if self._poll > 0:
            self._thread = threading.Thread(target=self._run, name="optirec-model-watcher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self.check()
            except Exception:  # the watcher must outlive a database hiccup
                log.exception("model check failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
