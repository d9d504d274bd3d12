"""The supervisor of several workers: uvicorn's, which starts another worker when one dies (a signal such as SIGBUS,
when a file the database maps can no longer be written; an out-of-memory kill), with what it lacks under systemd:

- a worker's death is logged as a warning, with its exit status or signal (uvicorn says it at info level, which
  `optirec serve` does not show);
- the dead worker's gauges leave `/metrics` (Prometheus' multi-process mode then counts running workers only);
- a worker that fails to start stops the server with a failure status: uvicorn stops then too (a broken setup fails
  every worker alike), but exits 0, which `Restart=on-failure` takes for a clean stop.
"""

from __future__ import annotations

import logging
import os
import signal

from prometheus_client import multiprocess as prometheus_multiprocess
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

log = logging.getLogger("uvicorn.error")  # the supervisor's own logger, which uvicorn's configuration shows


class Supervisor(Multiprocess):
    def keep_subprocess_alive(self) -> None:
        watched = list(self.processes)
        super().keep_subprocess_alive()
        for process in watched:
            if process.exitcode is not None and process.exitcode != STARTUP_FAILURE:  # dead, and replaced
                log.warning("worker %s %s; another one starts", process.pid, _ended(process.exitcode))
                if process.pid is not None and "PROMETHEUS_MULTIPROC_DIR" in os.environ:
                    prometheus_multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]

    @property
    def exit_status(self) -> int:
        """The server's exit status once `run` returns: `STARTUP_FAILURE` (3) when a worker failed to start."""
        return STARTUP_FAILURE if any(p.exitcode == STARTUP_FAILURE for p in self.processes) else 0


def _ended(exitcode: int) -> str:
    if exitcode >= 0:
        return f"exited with status {exitcode}"
    try:
        return f"was killed by {signal.Signals(-exitcode).name}"
    except ValueError:
        return f"was killed by signal {-exitcode}"
