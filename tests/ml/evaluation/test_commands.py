"""`optirec evaluate` end to end on a tiny synthetic folder, and its messages on bad input."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from optirec.runtime.cli import app

from ..conftest import write_events

runner = CliRunner()


def test_evaluate_writes_the_report(chain_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the text-vector cache goes under ./var
    out, dump = tmp_path / "report", tmp_path / "ranks.csv"
    models = "popularity,ease,ease-recency,optirec"
    args = ["--models", models, "--out", str(out), "--epochs", "2", "--seeds", "2", "--dump-ranks", str(dump)]
    result = runner.invoke(app, ["evaluate", str(chain_dir), *args])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "results.json").read_text())
    assert set(document["models"]) == set(models.split(","))
    _check_seeds_and_intervals(document)
    _check_the_dump_rescores_to_the_report(dump, document)
    for model in document["models"].values():
        assert {"ndcg@10", "hr@10", "mrr", "coverage@10", "cold_ndcg@10"} <= set(model["test"])
        assert "ndcg@10" in model["valid"] and model["train_seconds"] >= 0
    assert (out / "results.md").read_text().startswith("# Offline evaluation: chain")
    assert (out / "results.png").read_bytes()[:4] == b"\x89PNG"
    # EASE finds the chain; popularity cannot
    models = document["models"]
    assert models["ease"]["test"]["hr@10"] > models["popularity"]["test"]["hr@10"]


def _check_seeds_and_intervals(document: dict[str, Any]) -> None:
    ours = document["models"]["optirec"]
    assert ours["seeds"] == [0, 1] and document["models"]["ease"]["seeds"] == [0]
    per_seed = [run["ndcg@10"] for run in ours["test_by_seed"]]
    assert ours["test"]["ndcg@10"] == pytest.approx(sum(per_seed) / 2)
    assert ours["test_spread"]["ndcg@10"]["min"] == min(per_seed)
    assert ours["params"]["by_seed"][0]["best_epoch"] >= 1
    assert set(document["paired"]) == {"optirec - popularity", "optirec - ease", "optirec - ease-recency"}
    for comparison in document["paired"].values():
        for interval in comparison.values():
            assert interval["low"] <= interval["diff"] <= interval["high"]


def _check_the_dump_rescores_to_the_report(dump: Path, document: dict[str, Any]) -> None:
    """Re-score the rank dump with plain Python (not our metrics code) and find the report's figures."""
    with dump.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["user", "item", "model", "seed", "rank"]
    for name, model in document["models"].items():
        mine = [r for r in rows if r["model"] == name]
        assert len(mine) == model["test"]["users"] * len(model["seeds"])
        ranks = [float(r["rank"]) for r in mine]
        hr = sum(rank < 10 for rank in ranks) / len(ranks)
        ndcg = sum(1 / math.log2(math.floor(rank) + 2) for rank in ranks if rank < 10) / len(ranks)
        assert hr == pytest.approx(model["test"]["hr@10"], abs=1e-9)
        assert ndcg == pytest.approx(model["test"]["ndcg@10"], abs=1e-9)


def test_bad_seed_count_is_refused(chain_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(chain_dir), "--seeds", "0", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "--seeds must be between 1 and 20" in result.output


def test_temporal_split_runs(chain_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["evaluate", str(chain_dir), "--models", "popularity,ease", "--split", "temporal", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "results.json").read_text())["split"] == "temporal"


def test_too_small_data_set_says_so(tmp_path: Path) -> None:
    rows = [("a", "i1", "view", 1), ("a", "i2", "view", 2), ("a", "i3", "view", 3)]
    folder = write_events(tmp_path / "tiny", rows)
    result = runner.invoke(app, ["evaluate", str(folder), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "too small to evaluate" in result.output


def test_bad_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "events.csv").write_text(
        "user_id,item_id,action,timestamp\na,x,view,2024-01-01T00:00:00Z\na,x,zap,2024\n"
    )
    result = runner.invoke(app, ["evaluate", str(folder)])
    assert result.exit_code == 2
    assert "line 3: unknown action type 'zap'" in result.output


def test_unknown_model_is_refused(chain_dir: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(chain_dir), "--models", "magic"])
    assert result.exit_code == 2 and "unknown model(s) magic" in result.output


def test_train_model_saves_a_loadable_artifact(
    chain_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from optirec.ml.model.served import ServedModel

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["train-model", str(chain_dir), "--out", str(tmp_path / "models"), "--epochs", "2"])
    assert result.exit_code == 0, result.output
    saved = next((tmp_path / "models").iterdir())
    assert f"saved {saved}" in result.output
    model = ServedModel.load(saved)
    assert len(model.item_ids) == 24 and model.recommend([("i1", "view")], k=3)
