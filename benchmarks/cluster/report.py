"""Each scenario's report: requests sent, failed (by cause), signals acknowledged and lost, and what it checked; the
table printed at the end of a run, and the same as JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from benchmarks.cluster.load import Outcome


@dataclass
class ScenarioReport:
    name: str
    sent: int = 0
    failed: int = 0
    causes: dict[str, int] = field(default_factory=dict)
    acknowledged_signals: int = 0
    lost_signals: int = 0
    notes: list[str] = field(default_factory=list)  # what the scenario measured (times, versions)
    outcome: str = "not run"  # passed, failed (and why), expected to fail (and why)


def summarise(name: str, outcomes: list[Outcome], database_url: str) -> ScenarioReport:
    """The report of one scenario's traffic; the acknowledged signals are looked up in the database."""
    failed = [o for o in outcomes if o.failed]
    acknowledged = [event_id for o in outcomes for event_id in o.acknowledged]
    stored = stored_event_ids(database_url, acknowledged)
    return ScenarioReport(
        name=name,
        sent=len(outcomes),
        failed=len(failed),
        causes=dict(Counter(o.cause for o in failed if o.cause).most_common()),
        acknowledged_signals=len(acknowledged),
        lost_signals=len(set(acknowledged) - stored),
    )


def stored_event_ids(database_url: str, event_ids: list[str]) -> set[str]:
    if not event_ids:
        return set()
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, connect_timeout=10) as conn:
        rows = conn.execute("SELECT event_id FROM signals WHERE event_id = ANY(%s)", (event_ids,)).fetchall()
    return {row[0] for row in rows}


def table(reports: list[ScenarioReport]) -> str:
    """The reports as a plain-text table (one line per scenario, then its causes and notes)."""
    head = f"{'scenario':<24} {'sent':>6} {'failed':>6} {'acked signals':>13} {'lost':>5}  outcome"
    lines = [head, "-" * len(head)]
    for r in reports:
        lines.append(f"{r.name:<24} {r.sent:>6} {r.failed:>6} {r.acknowledged_signals:>13} {r.lost_signals:>5}  "
                     f"{r.outcome}")  # fmt: skip
        lines += [f"{'':<24} failed: {n} x {cause}" for cause, n in r.causes.items()]
        lines += [f"{'':<24} {note}" for note in r.notes]
    return "\n".join(lines)


def write_json(reports: list[ScenarioReport], path: Path) -> None:
    path.write_text(json.dumps([asdict(r) for r in reports], indent=2) + "\n", encoding="utf-8")
