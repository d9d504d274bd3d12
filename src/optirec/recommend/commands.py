"""`optirec export-impressions --out FILE`: the impressions table as JSON Lines, for learning and evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from optirec.console import console, load_settings, open_database


def export_impressions(
    out: Annotated[Path, typer.Option(help="The JSON Lines file to write (one impression a line).")],
    since: Annotated[datetime | None, typer.Option(help="Only lists served at or after this time (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Only lists served before this time (UTC).")] = None,
    window_hours: Annotated[int, typer.Option(min=1, max=2160, help="Attribution window after each list.")] = 168,
    include_unrendered: Annotated[
        bool, typer.Option(help="Also the lists no signal refers to (which may never have been seen).")
    ] = False,
) -> None:
    """Export every item of the served lists and what followed it (docs/exploration.md)."""
    from optirec.recommend.impressions import iter_impressions

    db = open_database(load_settings())
    since = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
    until = until.replace(tzinfo=UTC) if until and until.tzinfo is None else until
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as stream:
        for impression in iter_impressions(
            db, since=since, until=until, window=timedelta(hours=window_hours), include_unrendered=include_unrendered
        ):
            stream.write(impression.model_dump_json() + "\n")
            written += 1
    console.print(f"{written} impressions written to {out}")


def evaluate_policy(
    candidate: Annotated[str, typer.Option(help="The policy to evaluate: greedy, or logged (the one that served).")],
    reward: Annotated[str, typer.Option(help="click, cart, purchase or revenue, within the window.")] = "purchase",
    level: Annotated[str, typer.Option(help="list (expected reward per list) or impression (per item).")] = "list",
    placement: Annotated[str | None, typer.Option(help="Only the lists of this placement (home, product…).")] = None,
    since: Annotated[datetime | None, typer.Option(help="Only lists served at or after this time (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Only lists served before this time (UTC).")] = None,
    window_hours: Annotated[int, typer.Option(min=1, max=2160, help="Attribution window after each list.")] = 168,
    include_unrendered: Annotated[
        bool, typer.Option(help="Also the lists no signal refers to (when every list served was seen).")
    ] = False,
) -> None:
    """Estimate what a candidate policy would have earned on the logged traffic (docs/policy-evaluation.md)."""
    from optirec.errors import OptirecError
    from optirec.recommend.impressions import iter_impressions
    from optirec.recommend.policy_eval import evaluate_policy as run

    db = open_database(load_settings())
    since = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
    until = until.replace(tzinfo=UTC) if until and until.tzinfo is None else until
    rows = iter_impressions(
        db, since=since, until=until, window=timedelta(hours=window_hours), include_unrendered=include_unrendered
    )
    chosen = (i for i in rows if placement is None or i.placement == placement)
    try:
        result = run(chosen, candidate=candidate, reward=reward, level=level)
    except (OptirecError, ValueError) as error:
        console.print(f"[red]{getattr(error, 'message', str(error))}[/red]")
        raise typer.Exit(1) from None
    console.print(
        f"{result.ips.lists:,} lists, {result.ips.impressions:,} impressions ({result.rejected:,} left out: "
        f"propensity 0 or none); candidate {candidate!r} gives {result.ips.support:.1%} of them a non-zero "
        f"probability; effective lists {result.ips.effective_lists:,.0f}"
    )
    console.print(f"logged policy: {result.logged_mean:.5f} {reward} per {level}")
    for e in (result.ips, result.snips):
        interval = f"95 % interval {e.low:.5f} … {e.high:.5f}"
        console.print(f"{e.estimator:>5}: {e.value:.5f} {reward} per {level}  ({interval})")


def register(app: typer.Typer) -> None:
    from optirec.recommend.experiment_commands import experiments_app

    app.command("export-impressions")(export_impressions)
    app.add_typer(experiments_app, name="experiments")
    app.command("evaluate-policy")(evaluate_policy)
