"""`optirec demo-data` and `optirec demo-eval` end to end through the CLI on a small shop."""

from __future__ import annotations

import json
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
def test_demo_eval_trains_and_scores_the_project_model(small_shop: DemoShopFiles) -> None:
    args = ["demo-eval", "--data", str(small_shop.out_dir), "--train-days", "24", "--model", "optirec",
            "--train-seconds", "5"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "personalised (optirec)" in result.output
    assert float(result.output.split("personalised ÷ popularity")[1].split("×")[0]) > 0
