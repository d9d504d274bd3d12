"""`optirec demo-data` and `optirec demo-eval` end to end through the CLI on a small shop."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optirec.catalog.schemas import ProductCreate
from optirec.customers.schemas import CustomerImport
from optirec.demo.shop import DemoShopFiles
from optirec.runtime.cli import app

runner = CliRunner()


def test_demo_data_then_demo_eval(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    args = ["demo-data", "--out", str(out), "--seed", "3", "--products", "200", "--customers", "300",
            "--days", "30", "--events", "20000", "--no-progress"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Wrote 200 products, 300 customers" in result.output and "demo@optirec.example" in result.output
    for line in (out / "products.jsonl").read_text(encoding="utf-8").splitlines():
        ProductCreate.model_validate_json(line)
    for line in (out / "customers.jsonl").read_text(encoding="utf-8").splitlines():
        CustomerImport.model_validate_json(line)
    manifest = json.loads((out / "shop.json").read_text(encoding="utf-8"))
    assert manifest["events"] >= 20_000 and manifest["customers"] == 300

    result = runner.invoke(app, ["demo-eval", "--data", str(out), "--train-days", "24", "--model", "ease"])
    assert result.exit_code == 0, result.output
    assert "Expected purchases per 12-item list" in result.output
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.startswith("  ")}
    assert {"popularity", "personalised", "random", "oracle"} <= rows.keys()
    ratio = float(result.output.split("personalised ÷ popularity")[1].split("×")[0])
    assert ratio > 1.0


@pytest.mark.slow
def test_demo_eval_trains_and_scores_the_project_model_raw_and_served(small_shop: DemoShopFiles) -> None:
    args = ["demo-eval", "--data", str(small_shop.out_dir), "--train-days", "24", "--model", "optirec",
            "--train-seconds", "5", "--blend", "profile=4,diversity=0"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    fields = [re.split(r"\s{2,}", line.strip()) for line in result.output.splitlines() if "× popularity" in line]
    rows = {row[0]: row[1:] for row in fields}
    assert {"optirec, raw", "ease (baseline)", "served", "served, profile=4 diversity=0", "oracle"} <= rows.keys()
    for name in ("optirec, raw", "served", "served, profile=4 diversity=0"):
        value = float(rows[name][0])
        assert 0 < value < float(rows["oracle"][0])
        assert rows[name][-1].endswith("× ease")  # its ratio to EASE, printed beside it
    assert float(result.output.split("personalised ÷ popularity")[1].split("×")[0]) > 0


def test_demo_eval_refuses_an_unknown_blend_weight_before_any_work(tmp_path: Path) -> None:
    missing = tmp_path / "not-generated"
    result = runner.invoke(app, ["demo-eval", "--data", str(missing), "--blend", "charm=2"])
    assert result.exit_code != 0
    assert "unknown weight 'charm'" in result.output
    assert not missing.exists()  # refused before generating the shop
