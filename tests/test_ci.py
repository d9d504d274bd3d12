"""The CI entry point parses as a shell script (an edit once left a stray backtick in it, which only CI would meet),
and runs the tests, then the multi-host test."""

from __future__ import annotations

import subprocess
from pathlib import Path

CI = Path(__file__).parent.parent / ".ci" / "run"


def test_the_ci_script_parses_and_runs_make_test_then_the_cluster_test() -> None:
    checked = subprocess.run(["bash", "-n", str(CI)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    lines = [line.strip() for line in CI.read_text(encoding="utf-8").splitlines()]
    assert lines[-2:] == ["make test", "make test-cluster"] and "set -euo pipefail" in lines
