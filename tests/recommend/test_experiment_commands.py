"""`optirec experiments create|list|start|stop|ship|results` through Typer's test runner on a temporary SQLite file:
the life of an experiment from the command line, audited as `cli:<user>@<host>`, and bad input refused in words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from optirec.console import console
from optirec.runtime.cli import app
from optirec.store import Database
from optirec.store.tables import AuditEvent, ServingPolicy
from tests.runtime.test_cli import cli, ok

__all__ = ["cli"]  # the fixture

ARMS = [
    {"name": "control", "share": 0.5, "control": True},
    {"name": "wider", "share": 0.5, "policy": {"diversity": 0.6, "shares": {"home": 0.2}}},
]


def test_an_experiment_from_the_command_line(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 200)  # the tables whole, as a wide terminal shows them
    created = ok(
        cli, "experiments", "create", "--name", "Wider home", "--placement", "home", "--arms", json.dumps(ARMS)
    )
    match = re.search(r"created experiment ([0-9a-f]+)", created)
    assert match is not None, created
    experiment = match.group(1)
    assert "running" in ok(cli, "experiments", "start", experiment)
    listed = ok(cli, "experiments", "list")
    assert experiment in listed and "running" in listed and "wider 50%" in listed
    results = ok(cli, "experiments", "results", experiment)
    assert "control (control)" in results and "conversion" in results and "undecided" in results  # no lists yet
    assert "stopped" in ok(cli, "experiments", "stop", experiment)
    assert "shipped" in ok(cli, "experiments", "ship", experiment, "wider")
    db = Database(f"sqlite:///{tmp_path / 'cli.db'}")
    with db.read() as session:
        policy = session.get(ServingPolicy, "default")
        assert policy is not None and policy.policy == {"shares": {"home": 0.2}, "diversity": 0.6}
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.target == experiment)))
    db.dispose()
    assert [e.action for e in events] == ["experiment.create", "experiment.start", "experiment.stop", "experiment.ship"]
    assert all(e.actor.startswith("cli:") for e in events)


def test_bad_input_is_refused_in_words(cli: CliRunner) -> None:
    broken = cli.invoke(app, ["experiments", "create", "--name", "x", "--arms", "[{"])
    assert broken.exit_code == 1 and "invalid experiment" in broken.output
    two_controls = json.dumps([{**arm, "control": True} for arm in ARMS])
    refused = cli.invoke(app, ["experiments", "create", "--name", "x", "--arms", two_controls])
    assert refused.exit_code == 1 and "exactly one arm must be the control" in refused.output
    unknown = cli.invoke(app, ["experiments", "start", "abc123"])
    assert unknown.exit_code == 1 and "No experiment with id 'abc123'" in unknown.output
    missing = cli.invoke(app, ["experiments", "results", "abc123"])
    assert missing.exit_code == 1
