"""Keeps every worker on the live model: polls the registry and swaps a newly promoted model in.

The live version's artifact comes from this host's copy under `<data_dir>/models`, or from the database
(`training.artifacts`): a replica on a new host downloads it, checked against the registered checksum, within one
poll. Loading happens beside the serving path (in this thread); the swap is one reference assignment, so requests never
fail and never mix versions. An artifact that fails its checksum is refused and the current model keeps serving.
It also holds the model versions that running experiments' arms serve beside the live one (`follow_experiments`),
loaded and dropped the same way. What the worker then serves, and why, goes to its `WorkerReport` (the `workers`
table and `/metrics`), which the watcher's thread also writes as a heartbeat.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from optirec.errors import OptirecError
from optirec.recommend.assignment import experiment_versions
from optirec.recommend.live import LiveModel, ServingState
from optirec.recommend.workers import FALLBACK, HEARTBEAT_SECONDS, LIVE, NOTHING_LIVE, Serving, WorkerReport
from optirec.store import Database
from optirec.training.artifacts import Wanted, local_artifact
from optirec.training.registry import get_version, live_version

log = logging.getLogger("optirec.models")
Loader = Callable[[Path, str], LiveModel]


class ModelWatcher:
    def __init__(
        self,
        db: Database,
        serving_state: ServingState,
        loader: Loader,
        *,
        poll_seconds: float,
        on_swap: Callable[[], None] | None = None,
        report: WorkerReport | None = None,
        models_dir: Path | None = None,
    ) -> None:
        """`on_swap` runs after each swap (the app freezes the new model's objects out of the collector's way);
        `report` is told what the worker serves after each check; `models_dir` keeps the artifacts downloaded from
        the database (None: only an artifact already on this host is loaded)."""
        self._db, self._serving_state, self._loader, self._poll = db, serving_state, loader, poll_seconds
        self._models_dir = models_dir
        self._on_swap = on_swap
        self._report = report
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: dict[str, str] = {}  # version -> why it was refused

    def check(self) -> bool:
        """Load the live version if it is not the one served; True when the model changed."""
        with self._db.read() as session:
            row = live_version(session=session)
            wanted = Wanted(row.id, row.artifact_path, row.checksum) if row is not None else None
        changed = self._follow(wanted)
        self.follow_experiments()
        if self._report is not None:
            self._report.serve(self.serving(wanted.version if wanted is not None else None))
        return changed

    def follow_experiments(self) -> None:
        """Hold the running experiments' model versions (the live one aside), loading the new ones and dropping those
        no experiment serves any more: a worker holds at most the live model and these in memory."""
        wanted = experiment_versions(self._db)
        live = self._serving_state.model
        wanted.discard(live.version if live is not None else "")
        held = self._serving_state.experiment_versions
        if wanted == held:
            return
        models = {v: m for v in wanted & held if (m := self._serving_state.experiment_model(v)) is not None}
        for version in sorted(wanted - held - set(self._refused)):
            try:
                with self._db.read() as session:
                    row = get_version(session=session, version=version)
                    wanted_version = Wanted(row.id, row.artifact_path, row.checksum)
                # as the live version: a local copy checked against its checksum, else the database's artifact
                models[version] = self._loader(local_artifact(self._db, wanted_version, self._models_dir), version)
            except (OptirecError, OSError, ValueError, KeyError) as error:
                why = error.code if isinstance(error, OptirecError) else type(error).__name__
                self._refused[version] = f"model {version} was refused at load ({why}); see the worker's log"
                log.error("experiment model %s refused at load: %s", version, error)
        self._serving_state.hold_experiment_models(models)  # first: the mapping cache then has room for them all
        for version in wanted - held:
            if version in models:
                try:
                    self._serving_state.prepare(models[version])
                except Exception:  # the first list of its arm will map it
                    log.exception("could not map experiment model %s onto the catalog ahead of serving", version)
        log.info("holding experiment models %s", ", ".join(sorted(models)) or "none")

    def serving(self, live: str | None) -> Serving:
        """What this worker serves, against the registry's `live` version."""
        if live is None:
            return NOTHING_LIVE
        served = self._serving_state.version
        if served == live:
            return Serving(served, LIVE)
        return Serving(served, FALLBACK, self._refused.get(live, f"model {live} is not loaded yet"))

    def _follow(self, wanted: Wanted | None) -> bool:
        """Serve `wanted` (the live version and its artifact), or no model; True when the model changed."""
        current = self._serving_state.model
        if wanted is None:
            if current is not None:
                self._serving_state.swap_model(None)
                return True
            return False
        version = wanted.version
        if (current is not None and current.version == version) or version in self._refused:
            return False
        try:
            model = self._loader(local_artifact(self._db, wanted, self._models_dir), version)
        except (OptirecError, OSError, ValueError, KeyError) as error:
            why = error.code if isinstance(error, OptirecError) else type(error).__name__
            self._refused[version] = f"model {version} was refused at load ({why}); see the worker's log"
            log.error("model %s refused at load, keeping %s: %s", version, self._serving_state.version, error)
            return False
        try:
            self._serving_state.prepare(model)
        except Exception:  # the first request will try again; the swap must not wait on it
            log.exception("could not map model %s onto the catalog ahead of serving", version)
        self._serving_state.swap_model(model)
        log.info("now serving model %s", version)
        if self._on_swap is not None:
            self._on_swap()
        return True

    def start(self) -> None:
        try:
            self.check()
        except Exception:  # a database that is down at start must not keep the service from starting
            log.exception("model check at start failed; serving popularity until the next check")
        if self._report is not None:
            self._report.write()  # the worker's row, whether or not the check changed what it serves
        if self._poll > 0 or self._report is not None:
            self._thread = threading.Thread(target=self._run, name="optirec-model-watcher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        """Check the registry every `poll_seconds` (never when 0), and write the worker's row as a heartbeat."""
        never = float("inf")
        next_check = time.monotonic() + self._poll if self._poll > 0 else never
        next_beat = time.monotonic() + HEARTBEAT_SECONDS if self._report is not None else never
        while not self._stop.wait(max(0.0, min(next_check, next_beat) - time.monotonic())):
            now = time.monotonic()
            if now >= next_check:
                next_check = now + self._poll
                try:
                    self.check()
                except Exception:  # the watcher must outlive a database hiccup
                    log.exception("model check failed")
            if now >= next_beat and self._report is not None:
                next_beat = now + HEARTBEAT_SECONDS
                self._report.write()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
