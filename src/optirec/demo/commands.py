"""CLI commands of the demo shop: `optirec demo`, `optirec demo-data` and `optirec demo-eval`. Heavy imports stay
inside."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optirec.console import console, load_settings, open_database, print_report
from optirec.settings import Settings

DEFAULT_DIR = Path("var/demo")


def demo_data(
    out: Annotated[Path, typer.Option(help="Folder for products.jsonl, customers.jsonl, events.csv, tastes.npz.")] = (
        DEFAULT_DIR
    ),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 7,
    products: Annotated[int, typer.Option(min=10, help="Number of products.")] = 1500,
    customers: Annotated[int, typer.Option(min=10, help="Number of customers.")] = 5000,
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days of simulated shopping.")] = 90,
    events: Annotated[int, typer.Option(min=100, help="Simulate at least this many events.")] = 1_000_000,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Generate the demo eyewear shop (catalogue, customers, simulated shopping) into a folder."""
    from optirec.demo.shop import generate_demo_shop

    files = generate_demo_shop(
        out, seed=seed, products=products, customers=customers, days=days, events=events, progress=progress
    )
    typer.echo(
        f"Wrote {files.n_products} products, {files.n_customers} customers and {files.n_events} events to "
        f"{files.out_dir} in {files.seconds:.1f} s. Demo customer: {files.demo_customer_id} ({files.demo_email})."
    )


def demo_eval(
    data: Annotated[Path, typer.Option(help="Demo shop folder; generated with the defaults when missing.")] = (
        DEFAULT_DIR
    ),
    k: Annotated[int, typer.Option(min=1, max=100, help="Length of each recommendation list.")] = 12,
    train_days: Annotated[int, typer.Option(min=1, help="Train on the events of the first N days.")] = 80,
    eval_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Score the customers active in the N days after training (default: all the days "
            "after). `--train-days 70 --eval-days 10` is the validation split the blend was chosen on.",
        ),
    ] = None,
    model: Annotated[
        str, typer.Option(help="Personalised model: 'optirec' (the project's model), 'ease' or 'als' (baselines).")
    ] = "optirec",
    train_seconds: Annotated[float, typer.Option(min=1, help="Training budget of the 'optirec' network.")] = 120.0,
    blend: Annotated[
        list[str] | None,
        typer.Option(
            help="Also score the served lists with these weights of the serving blend, for example "
            "'profile=2,popularity=0' (names of `recommend.service.WEIGHTS`; repeatable)."
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Print the model's training progress.")] = False,
) -> None:
    """Compare popularity with the personalised model on the simulator's ground truth (expected purchases)."""
    from optirec.demo.evaluate import evaluate_world, read_events
    from optirec.demo.shop import generate_demo_shop, load_world

    blends = [parse_blend(b) for b in blend or ()]  # refused before any work
    if not (data / "shop.json").exists():
        generate_demo_shop(data)
    world = load_world(data)
    events = read_events(data / "events.csv", [c.id for c in world.customers], [p.id for p in world.products])
    result = evaluate_world(
        world, events, k=k, train_days=train_days, eval_days=eval_days, personalised=model,
        train_seconds=train_seconds, blends=blends,
        progress=typer.echo if verbose else None,
    )  # fmt: skip
    window = f"in days {train_days}–{train_days + eval_days}" if eval_days else f"after day {train_days}"
    typer.echo(f"Expected purchases per {k}-item list, {result.users} customers active {window}:")
    name = result.personalised_name
    labels = {"personalised": f"{name}, raw" if "served" in result.expected else f"personalised ({name})",
              "ease": "ease (baseline)"}  # fmt: skip
    popularity, ease = result.expected["popularity"], result.expected.get("ease")
    width = max(28, *(len(labels.get(key, key)) for key in result.expected))
    for key, value in result.expected.items():
        versus = f"  {value / ease:.3f}× ease" if ease and key not in ("ease", "oracle") else ""
        typer.echo(f"  {labels.get(key, key):<{width}}  {value:.5f}  {value / popularity:5.2f}× popularity{versus}")
    typer.echo(f"  personalised ÷ popularity    {result.ratio:.2f}×")


def parse_blend(text: str) -> dict[str, float]:
    """'profile=2,diversity=0' as {'profile': 2.0, 'diversity': 0.0}; a `typer.BadParameter` for anything else."""
    from optirec.recommend.service import WEIGHTS

    out: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(f"expected name=weight, got {part!r}", param_hint="--blend") from None
        if name.strip() not in (*WEIGHTS, "diversity"):
            known = ", ".join((*WEIGHTS, "diversity"))
            raise typer.BadParameter(f"unknown weight {name!r}; expected one of {known}", param_hint="--blend")
    return out


def demo(
    folder: Annotated[Path, typer.Option(help="Where the generated demo shop is kept.")] = Path("var/demo"),
    events: Annotated[int, typer.Option(min=1000, help="Simulated events to generate (first run only).")] = 1_000_000,
) -> None:
    """Load the demo eyewear shop (generated on first use) and print the demo credentials. Safe to run again."""
    import time

    from optirec.demo.load import NotADemoDatabase, load_demo_shop
    from optirec.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    started = time.perf_counter()

    try:
        with console.status("loading the demo shop (generated on first use)…"):
            loaded = load_demo_shop(settings, open_database(settings), folder, events=events, progress=True)
    except NotADemoDatabase as refused:
        console.print(f"[red]{refused.message}[/red]")
        raise typer.Exit(1) from None
    for name, report in (("products", loaded.products), ("customers", loaded.customers), ("events", loaded.events)):
        print_report(report, name)
    console.print(f"demo shop ready in {time.perf_counter() - started:.0f} s")
    _first_model(settings)
    console.print(f"[bold]demo customer[/bold]: {loaded.customer_email} / {loaded.password}")
    console.print(f"[bold]administrator[/bold]: {loaded.admin_email} / {loaded.password}")
    console.print("the shop at /shop/, the operator's console at /admin/ (sign in as the administrator)")


def _first_model(settings: Settings) -> None:
    """Train the demo's first model unless one is live already (popularity serves until then)."""
    from optirec.training.registry import live_version
    from optirec.training.scheduler import train_once

    db = open_database(settings)
    with db.read() as session:
        live = live_version(session=session)
    if live is not None:
        console.print(f"model {live.id} is live")
        return
    console.print(f"training the first model (at most {settings.training_max_seconds:.0f} s of network training)…")
    train_once(db, settings, progress=console.print)


def register(app: typer.Typer) -> None:
    """Add the demo commands to the `optirec` CLI."""
    app.command("demo")(demo)
    app.command("demo-data")(demo_data)
    app.command("demo-eval")(demo_eval)
