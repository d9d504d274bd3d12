"""CLI commands of the ML domain: `optirec evaluate` and `optirec train-model`.

Heavy imports (torch, implicit, sentence-transformers) happen inside the command functions so that
`optirec --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def evaluate(
    data_dir: Annotated[Path, typer.Argument(help="Data set folder (events.csv [+ items.csv], or MovieLens u.data).")],
    models: Annotated[
        str, typer.Option(help="Comma-separated models to run: popularity,ease,als,optirec.")
    ] = "popularity,ease,als,optirec",
    out: Annotated[Path, typer.Option(help="Folder for results.json, results.md and results.png.")] = Path("var/eval"),
    split: Annotated[str, typer.Option(help="'loo' (leave-one-out) or 'temporal'.")] = "loo",
    split_date: Annotated[
        str | None, typer.Option(help="Temporal split: train before this ISO date, test after it.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed for every model.")] = 0,
    epochs: Annotated[int | None, typer.Option(help="Override our model's training epochs.")] = None,
) -> None:
    """Evaluate models side by side offline (leave-one-out, full ranking) and write a report."""
    from optirec.ml.evaluate_cli import run_evaluate

    run_evaluate(
        data_dir,
        models=[m.strip() for m in models.split(",") if m.strip()],
        out=out,
        split=split,
        split_date=split_date,
        seed=seed,
        epochs=epochs,
    )


def register(app: typer.Typer) -> None:
    """Add the ML commands to the `optirec` CLI."""
    app.command("evaluate")(evaluate)
