"""The evaluation report: a rich table on the console, `results.json`, `results.md` and `results.png`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from optirec.ml.evaluation.evaluate import ModelResult

COLUMNS = (
    "hr@5",
    "ndcg@5",
    "hr@10",
    "ndcg@10",
    "hr@20",
    "ndcg@20",
    "mrr",
    "coverage@10",
    "cold_hr@10",
    "cold_ndcg@10",
)


def results_document(results: dict[str, ModelResult], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON document: `{"models": {name: {"valid": …, "test": …, "train_seconds": …}}, …meta}`."""
    return {"models": {name: r.to_json() for name, r in results.items()}, **meta}


CONSOLE_COLUMNS = ("hr@5", "hr@10", "ndcg@10", "hr@20", "ndcg@20", "mrr", "coverage@10", "cold_ndcg@10")


def console_table(results: dict[str, ModelResult], title: str) -> Table:
    """Test metrics of every model, one row each, means over seeds and the std of NDCG@10 over seeds (the Markdown
    report has every column and every spread)."""
    table = Table(title=title)
    table.add_column("model", no_wrap=True)
    for column in (*CONSOLE_COLUMNS, "ndcg@10 sd", "train s"):
        table.add_column(column, justify="right")
    for name, result in results.items():
        cells = (f"{result.test.get(c, 0.0):.4f}" for c in CONSOLE_COLUMNS)
        spread = result.spread.get("ndcg@10")
        table.add_row(name, *cells, f"{spread['std']:.4f}" if spread else "", f"{result.train_seconds:.1f}")
    return table


def cell(result: ModelResult, split: str, column: str) -> str:
    """A metric's value; on the test split of a model run with several seeds, `mean ± std` over its seeds."""
    values = result.test if split == "test" else result.valid
    text = f"{values.get(column, 0.0):.4f}"
    spread = result.spread.get(column) if split == "test" else None
    return f"{text} ± {spread['std']:.4f}" if spread else text


PAIRED_HEADER = ("comparison", "Δ ndcg@10", "95 % interval", "Δ hr@10", "95 % interval")


def paired_rows(paired: dict[str, dict[str, dict[str, float]]]) -> list[tuple[str, ...]]:
    """One row per comparison: the mean per-user difference and its paired bootstrap interval."""
    rows = []
    for comparison, by_metric in paired.items():
        cells: list[str] = [comparison]
        for metric in ("ndcg@10", "hr@10"):
            d = by_metric[metric]
            cells += [f"{d['diff']:+.4f}", f"[{d['low']:+.4f}, {d['high']:+.4f}]"]
        rows.append(tuple(cells))
    return rows


def paired_table(paired: dict[str, dict[str, dict[str, float]]]) -> Table:
    """The paired bootstrap intervals as a console table."""
    table = Table(title="our model minus each baseline, test users (paired bootstrap, 95 %)")
    for n, column in enumerate(PAIRED_HEADER):
        table.add_column(column, justify="left" if n == 0 else "right", no_wrap=n == 0)
    for row in paired_rows(paired):
        table.add_row(*row)
    return table


def paired_markdown(paired: dict[str, dict[str, dict[str, float]]]) -> str:
    """The paired bootstrap intervals as a Markdown table."""
    lines = ["| " + " | ".join(PAIRED_HEADER) + " |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += ["| " + " | ".join(row) + " |" for row in paired_rows(paired)]
    return "\n".join(lines)


def markdown_table(results: dict[str, ModelResult], split: str = "test") -> str:
    """A Markdown table of one split's metrics."""
    lines = [
        "| model | " + " | ".join(COLUMNS) + " | train s |",
        "| --- | " + " | ".join("---:" for _ in COLUMNS) + " | ---: |",
    ]
    for name, result in results.items():
        cells = " | ".join(cell(result, split, c) for c in COLUMNS)
        lines.append(f"| {name} | {cells} | {result.train_seconds:.1f} |")
    return "\n".join(lines)


def markdown_report(results: dict[str, ModelResult], meta: dict[str, Any]) -> str:
    """The whole Markdown report: test table, validation table and the run's settings."""
    first = next(iter(results.values()), None)
    users = int(first.test.get("users", 0)) if first else 0
    cold = int(first.test.get("cold_users", 0)) if first else 0
    return "\n".join(
        [
            f"# Offline evaluation: {meta.get('dataset', '')}",
            "",
            f"Split: {meta.get('split', '')}; {users} test users, {cold} with a cold target "
            f"(at most {meta.get('cold_max', '')} training interactions).",
            "",
            "## Test",
            "",
            f"Our model: mean ± std over {meta.get('seeds', 1)} seed(s) (min and max in results.json).",
            "",
            markdown_table(results, "test"),
            "",
            "## Paired bootstrap on the test users",
            "",
            "Mean per-user difference of our model (averaged over its seeds) minus each baseline, and its 95 %",
            "interval from 2,000 resamples of the test users (seeded); an interval above zero is a win beyond chance.",
            "",
            paired_markdown(meta.get("paired", {})),
            "",
            "## Validation",
            "",
            markdown_table(results, "valid"),
            "",
            f"Command: `{meta.get('command', '')}`",
            "",
        ]
    )


def chart(results: dict[str, ModelResult], path: Path, title: str) -> None:
    """Grouped bars of HR and NDCG at 5/10/20 on the test split, one colour per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["hr@5", "hr@10", "hr@20", "ndcg@5", "ndcg@10", "ndcg@20", "mrr"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(len(results), 1)
    for m, (name, result) in enumerate(results.items()):
        xs = [i + m * width for i in range(len(metrics))]
        ax.bar(xs, [result.test.get(k, 0.0) for k in metrics], width, label=name)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(metrics))], metrics)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(results: dict[str, ModelResult], meta: dict[str, Any], out: Path, console: Console) -> None:
    """Print the table and write results.json, results.md and results.png under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    title = f"{meta.get('dataset', '')}: test split"
    console.print(console_table(results, title))
    if meta.get("paired"):
        console.print(paired_table(meta["paired"]))
    (out / "results.json").write_text(json.dumps(results_document(results, meta), indent=2) + "\n")
    (out / "results.md").write_text(markdown_report(results, meta))
    chart(results, out / "results.png", title)
    console.print(f"wrote {out / 'results.json'}, {out / 'results.md'}, {out / 'results.png'}")
