"""Draining on SIGTERM: a worker told to stop first says it is not ready (`/readyz` answers 503) while it goes on
serving for `OPTIREC_DRAIN_SECONDS`, so that the load balancer's checks take it out of the rotation before it stops
taking connections; then uvicorn's own graceful shutdown closes the listening socket and waits (at most
`OPTIREC_SHUTDOWN_TIMEOUT_SECONDS`) for the requests in flight.

uvicorn's handler of SIGTERM (its `Server.handle_exit`, installed before the app starts) is wrapped from the app's
start-up, in the worker's main thread: the wrapper sets the draining flag and calls uvicorn's handler once the delay
has passed. A second SIGTERM, or SIGINT (Ctrl-C), stops at once as before.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

log = logging.getLogger("optirec")
Handler = Callable[[int, FrameType | None], object]


def drain_on_sigterm(draining: threading.Event, seconds: float) -> Callable[[], None]:
    """Wrap this process's SIGTERM handler so that it drains for `seconds` first (nothing where the delay is 0, the
    handler is not a function, or this is not the main thread: a test's app); returns what undoes it."""
    previous = signal.getsignal(signal.SIGTERM)
    if seconds <= 0 or not callable(previous) or threading.current_thread() is not threading.main_thread():
        return lambda: None
    stop: Handler = previous

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if draining.is_set():  # told twice: stop now
            stop(signum, frame)
            return
        draining.set()
        log.warning("SIGTERM: not ready from now on; serving for %g s more, then stopping", seconds)
        timer = threading.Timer(seconds, stop, args=(signum, None))
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, on_sigterm)

    def undo() -> None:
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, previous)

    return undo


def stopped_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    """The SIGTERM handler outside the server's run: uvicorn raises the signal again once it has stopped on it,
    which would end a drained, cleanly stopped process with the signal's status instead of 0."""
