"""The uvicorn worker's entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_CHECK = """
import json

import numpy as np
from threadpoolctl import threadpool_info
from optirec.runtime.asgi import create
from optirec.ml.model.kernels import weighted_rows

create()
weighted_rows(np.array([0, 1], np.int32), np.array([0], np.int32), np.ones(1, np.float32), np.zeros(1, np.int64),
              np.ones(1, np.float32), 1, False)  # the kernels are compiled: every BLAS library they call is loaded
print(json.dumps([pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]))
"""


def test_a_worker_runs_every_blas_library_on_one_thread(tmp_path: Path) -> None:
    """numpy's and scipy's (the compiled kernels') BLAS alike: idle BLAS threads spin against the other workers.
    Run in a fresh interpreter, whose libraries are loaded in the worker's order."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPTIREC_", "OPENBLAS_", "OMP_"))}
    env |= {"OPTIREC_DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}", "OPTIREC_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", _CHECK], env=env, capture_output=True, text=True, check=True)
    threads = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(threads) >= 2 and set(threads) == {1}, threads  # numpy's BLAS and scipy's
