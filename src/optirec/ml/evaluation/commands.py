"""CLI commands of the offline evaluation: `optirec evaluate` and `optirec train-model` (train, test once, save).

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
        str, typer.Option(help="Comma-separated models to run: popularity,ease,ease-recency,als,optirec.")
    ] = "popularity,ease,ease-recency,als,optirec",
    out: Annotated[Path, typer.Option(help="Folder for results.json, results.md and results.png.")] = Path("var/eval"),
    split: Annotated[str, typer.Option(help="'loo' (leave-one-out) or 'temporal'.")] = "loo",
    split_date: Annotated[
        str | None, typer.Option(help="Temporal split: train before this ISO date, test after it.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed for every model (our model's first seed).")] = 0,
    seeds: Annotated[
        int, typer.Option(help="Fits of our model, seeds SEED, SEED+1, …; the report gives mean and spread.")
    ] = 3,
    epochs: Annotated[int | None, typer.Option(help="Override our model's training epochs.")] = None,
    dump_ranks: Annotated[
        Path | None,
        typer.Option(help="CSV file of every test user's rank of the target: user,item,model,seed,rank."),
    ] = None,
) -> None:
    """Evaluate models side by side offline (leave-one-out, full ranking) and write a report."""
    from optirec.errors import OptirecError
    from optirec.ml.evaluation.evaluate_cli import run_evaluate

    try:
        run_evaluate(
            data_dir,
            models=[m.strip() for m in models.split(",") if m.strip()],
            out=out,
            split=split,
            split_date=split_date,
            seed=seed,
            epochs=epochs,
            seeds=seeds,
            dump_ranks=dump_ranks,
        )
    except OptirecError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc


def train_model(
    data_dir: Annotated[Path, typer.Argument(help="Data set folder (events.csv [+ items.csv], or MovieLens u.data).")],
    out: Annotated[Path, typer.Option(help="Folder that receives the versioned artifact.")] = Path("var/models"),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    epochs: Annotated[int | None, typer.Option(help="Override the network's maximum training epochs.")] = None,
) -> None:
    """Train our model on a data set folder, evaluate it and save a versioned artifact."""
    from dataclasses import replace

    from optirec.errors import OptirecError
    from optirec.ml.evaluation.train_test import train
    from optirec.ml.train.fit import FitConfig
    from optirec.ml.train.inputs import dataset_inputs

    config = FitConfig()
    config.model = replace(config.model, seed=seed, epochs=epochs or config.model.epochs)
    try:
        events, items = dataset_inputs(data_dir)
        output = train(events, items, config, out, progress=typer.echo)
    except OptirecError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"saved {output.path} (test ndcg@10 {output.metrics['test']['ndcg@10']:.4f})")


def register(app: typer.Typer) -> None:
    """Add the ML commands to the `optirec` CLI."""
    app.command("evaluate")(evaluate)
    app.command("train-model")(train_model)
