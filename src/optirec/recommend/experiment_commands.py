"""`optirec experiments create|list|start|stop|ship|results` (docs/experiments.md)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from optirec.audit import service as audit
from optirec.console import console, load_settings, open_database
from optirec.errors import OptirecError

experiments_app = typer.Typer(
    help="Experiments between serving policies: create, list, start, stop, ship, results.", no_args_is_help=True
)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]")
    return typer.Exit(1)


def _change(action: str, experiment_id: str, **options: Any) -> None:
    from optirec.recommend import experiments

    db = open_database(load_settings())
    try:
        with db.write() as session:
            row = getattr(experiments, action)(
                session=session, experiment_id=experiment_id, actor=audit.command_line_actor(), **options
            )
            status = row.status
    except OptirecError as error:
        raise _fail(error.message) from None
    console.print(f"experiment {experiment_id} is {status}")


@experiments_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="What the experiment tries, in words.")],
    arms: Annotated[
        str,
        typer.Option(
            help='The arms as JSON: [{"name": "control", "share": 0.5, "control": true}, {"name": "explore", '
            '"share": 0.5, "policy": {"shares": {"home": 0.2}}}]'
        ),
    ],
    placement: Annotated[list[str] | None, typer.Option(help="A placement it runs at (repeat; none: all).")] = None,
) -> None:
    """Create an experiment (a draft); `start` begins assigning shoppers."""
    from optirec.recommend import experiments

    try:
        body = experiments.ExperimentCreate(name=name, placements=placement or [], arms=json.loads(arms))
    except (ValidationError, json.JSONDecodeError) as error:
        raise _fail(f"invalid experiment: {str(error)[:500]}") from None
    db = open_database(load_settings())
    with db.write() as session:
        row = experiments.create(session=session, body=body, actor=audit.command_line_actor())
        experiment_id = row.id
    console.print(f"created experiment {experiment_id} (draft)")


@experiments_app.command("list")
def list_experiments() -> None:
    """Every experiment, newest first."""
    from optirec.recommend import experiments

    db = open_database(load_settings())
    table = Table("id", "name", "status", "placements", "arms", "created")
    with db.read() as session:
        for row in experiments.list_all(session=session):
            arms = ", ".join(_arm(a) for a in row.arms)
            table.add_row(
                row.id, row.name, row.status, ", ".join(row.placements) or "all", arms,
                row.created_at.isoformat(timespec="seconds"),
            )  # fmt: skip
    console.print(table)


def _arm(arm: dict[str, Any]) -> str:
    """An arm in a few characters: its name (* for control), share, and whether the guardrail stopped it."""
    control = "*" if arm.get("control") else ""
    return f"{arm['name']}{control} {arm['share']:.0%}{' (stopped)' if arm.get('stopped') else ''}"


@experiments_app.command("start")
def start(experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")]) -> None:
    """Start assigning shoppers to the arms (every worker within OPTIREC_EXPERIMENT_REFRESH_SECONDS)."""
    _change("start", experiment_id)


@experiments_app.command("stop")
def stop(experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")]) -> None:
    """Stop assigning: every shopper gets the default policy again; the results stay."""
    _change("stop", experiment_id)


@experiments_app.command("ship")
def ship(
    experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
    arm: Annotated[str, typer.Argument(help="The arm whose policy becomes the default.")],
) -> None:
    """Write the arm's policy as the default serving policy, and end the experiment."""
    _change("ship", experiment_id, arm=arm)


@experiments_app.command("results")
def results(
    experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
    window_hours: Annotated[int, typer.Option(min=1, max=2160, help="Attribution window after each list.")] = 168,
) -> None:
    """Per arm: the metrics with their 95 % intervals and the always-valid difference to control (checks the
    guardrail: a running arm with conversion worse than control's is stopped)."""
    from optirec.recommend.experiment_results import results as compute

    db = open_database(load_settings())
    try:
        answer = compute(
            db=db, experiment_id=experiment_id, window=timedelta(hours=window_hours), actor=audit.command_line_actor()
        )
    except OptirecError as error:
        raise _fail(error.message) from None
    table = Table("arm", "lists", "metric", "value [95 %]", "Δ to control [always valid 95 %]", "p", "verdict")
    for arm in answer.arms:
        label = f"{arm.name}{' (control)' if arm.control else ''}{' STOPPED' if arm.stopped else ''}"
        for metric, m in arm.metrics.items():
            difference = "—"
            if m.difference is not None:
                low = "−∞" if m.difference_low is None else f"{m.difference_low:+.4f}"
                high = "∞" if m.difference_high is None else f"{m.difference_high:+.4f}"
                difference = f"{m.difference:+.4f} [{low}, {high}]"
            p_value = "—" if m.p_value is None else f"{m.p_value:.4f}"
            table.add_row(
                label, str(arm.lists), metric, f"{m.value:.4f} [{m.low:.4f}, {m.high:.4f}]", difference, p_value,
                m.verdict or "—",
            )  # fmt: skip
            label = ""
    console.print(f"experiment {answer.experiment.id} “{answer.experiment.name}”: {answer.experiment.status}")
    console.print(table)
    for name in answer.stopped_now:
        console.print(f"[yellow]the guardrail stopped arm {name}: conversion worse than control's[/yellow]")
