"""The multi-host test's cluster (built once for the module, removed after it, on failure too) and its report: each
scenario's table line, printed at the end of the run and written as JSON (`OPTIREC_CLUSTER_REPORT`, default
`<tmp>/optirec-cluster-report.json`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cluster.cluster import Cluster, check_machine, running_cluster
from benchmarks.cluster.network import Unsupported
from benchmarks.cluster.report import ScenarioReport, table, write_json

REPORTS = pytest.StashKey[list[ScenarioReport]]()
SCENARIO = pytest.StashKey[ScenarioReport]()


def report_path() -> Path:
    return Path(os.environ.get("OPTIREC_CLUSTER_REPORT", Path(tempfile.gettempdir()) / "optirec-cluster-report.json"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    try:
        check_machine()
    except Unsupported as reason:
        if os.environ.get("CI"):  # CI runs as root with everything installed by .ci/run: this is a failure there
            pytest.fail(f"the multi-host test cannot run in CI: {reason}")
        pytest.skip(f"the multi-host test cannot run here: {reason}")
    with running_cluster(say=print) as built:
        yield built


@pytest.fixture
def scenario(request: pytest.FixtureRequest) -> ScenarioReport:
    """The scenario's report line (the test fills it in from its traffic); the outcome is set after the test."""
    report = ScenarioReport(name=request.node.name.removeprefix("test_"))
    request.node.stash[SCENARIO] = report
    request.config.stash.setdefault(REPORTS, []).append(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    result = yield
    if call.when == "call" and SCENARIO in item.stash:
        item.stash[SCENARIO].outcome = _outcome(result)
    return result


def _outcome(result: pytest.TestReport) -> str:
    crash = getattr(result.longrepr, "reprcrash", None)
    why = (crash.message.splitlines() or [""])[0][:160] if crash is not None else ""
    expected = getattr(result, "wasxfail", None)
    if expected is not None:
        return (
            f"expected to fail ({expected}): {why}"
            if result.skipped
            else f"passed, though expected to fail: {expected}"
        )
    return "passed" if result.passed else f"FAILED: {why}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    reports = config.stash.get(REPORTS, [])
    if not reports:
        return
    path = report_path()
    write_json(reports, path)
    terminalreporter.write_sep("=", "multi-host scenarios")
    terminalreporter.write_line(table(reports))
    terminalreporter.write_line(f"(as JSON: {path})")
