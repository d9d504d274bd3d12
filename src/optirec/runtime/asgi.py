"""The ASGI entry point for uvicorn workers: `uvicorn --factory optirec.runtime.asgi:create`."""

from __future__ import annotations

import faulthandler
import logging
import sys

from fastapi import FastAPI
from threadpoolctl import threadpool_limits
from uvicorn.config import STARTUP_FAILURE

from optirec.runtime.app import create_app
from optirec.settings import Settings


def create() -> FastAPI:
    """The worker's app. A worker killed by a fatal signal (SIGBUS, SIGSEGV) first writes every thread's Python
    traceback to stderr; one that cannot build its app exits with uvicorn's start-up failure status, which stops
    the server instead of having its supervisor start another worker that fails alike, twice a second, forever."""
    faulthandler.enable()
    # A request's matrices are small: BLAS threads only spin against each other and the other workers, which
    # multiplied the latency of the user encoder by ten on two cores. Workers give the parallelism. The limit
    # reaches only the BLAS libraries already loaded: scipy's, which the compiled kernels call, is loaded first.
    import scipy.linalg.cython_blas  # noqa: F401

    threadpool_limits(limits=1, user_api="blas")
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        app = create_app(settings)
    except Exception:
        logging.getLogger("optirec").exception("this worker cannot start")
        sys.exit(STARTUP_FAILURE)
    sys.setswitchinterval(0.001)
    return app  # what start-up builds is frozen out of the collector's way once warmed up (`app._settle`)
