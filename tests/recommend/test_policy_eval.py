"""`evaluate-policy`: the candidates' probabilities from the impressions table, and the command on served lists."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from optirec.errors import InvalidInput
from optirec.recommend.impressions import Impression
from optirec.recommend.policy_eval import candidate_probability, evaluate_policy
from optirec.runtime.app import create_app
from optirec.runtime.cli import app
from optirec.settings import Settings
from tests.conftest import product_data

NOW = datetime.now(UTC)


def _item(list_id: str, position: int, product: str, propensity: float, greedy: str | None = None,
          purchased: bool = False) -> Impression:  # fmt: skip
    return Impression(
        recommendation_id=list_id, served_at=NOW, placement="home", model_version="v1", policy="explore",
        arm=None, customer_id="c-1", session_id=None, position=position, product_id=product, score=0.0,
        propensity=propensity, rendered=True, viewed=purchased, carted=purchased, purchased=purchased,
        revenue=10.0 if purchased else 0.0, greedy_product_id=greedy,
    )  # fmt: skip


def test_the_greedy_candidate_takes_the_greedy_slots_and_the_drawn_slots_that_drew_the_greedy_product() -> None:
    head = _item("L1", 1, "A", 1.0)
    drew_other = _item("L1", 2, "X", 0.25, greedy="B")
    drew_greedy = _item("L2", 2, "B", 0.25, greedy="B")
    assert candidate_probability(head, "greedy") == 1.0
    assert candidate_probability(drew_other, "greedy") == 0.0
    assert candidate_probability(drew_greedy, "greedy") == 1.0
    assert candidate_probability(drew_other, "logged") == 0.25


def test_evaluate_policy_weights_and_leaves_out_unusable_lists() -> None:
    impressions = [
        _item("L1", 1, "A", 1.0, purchased=True), _item("L1", 2, "X", 0.5, greedy="B"),
        _item("L2", 1, "A", 1.0), _item("L2", 2, "B", 0.5, greedy="B", purchased=True),
        _item("L3", 1, "A", 0.0, purchased=True),  # a propensity of 0: the whole list is left out
    ]  # fmt: skip
    result = evaluate_policy(impressions, candidate="greedy", reward="purchase")
    assert result.rejected == 1
    assert result.logged_mean == pytest.approx(2 / 2)
    assert result.ips.value == pytest.approx((1.0 + 0.0 + 0.0 + 2.0) / 2)  # B's purchase weighs 1 / 0.5
    assert result.snips.value == pytest.approx(1 / 2 + 2 / 2)  # position 1: 1 of 2; position 2: 2 / (0 + 2)
    with pytest.raises(InvalidInput, match="candidate"):
        evaluate_policy(impressions, candidate="model:v9")
    with pytest.raises(InvalidInput, match="usable"):
        evaluate_policy(impressions[-1:], candidate="greedy")


def test_the_command_evaluates_the_greedy_candidate_on_explored_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPTIREC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OPTIREC_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("OPTIREC_EXPLORATION__SHARES", '{"home": 0.5}')
    monkeypatch.setenv("OPTIREC_EXPLORATION__SEED", "3")
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    created = runner.invoke(app, ["keys", "create", "shop"]).output.splitlines()
    service = {"X-API-Key": next(line for line in created if line.startswith("ork_"))}
    with TestClient(create_app(Settings(_env_file=None))) as client:  # type: ignore[call-arg]
        for i in range(1, 9):
            response = client.post("/api/catalog/products", json=product_data(f"FR-{i}"), headers=service)
            assert response.status_code == 201
        assert client.put("/api/customers/c-1", json={}, headers=service).status_code == 200
        signals = []
        for n in range(6):
            body = {"customer_id": "c-1", "limit": 4}
            served = client.post("/api/recommendations/personalized", json=body, headers=service).json()
            last = served["items"][-1]["product"]["id"]
            signals.append({
                "event_id": f"e-{n}", "customer_id": "c-1", "product_id": last, "action_type": "view",
                "occurred_at": datetime.now(UTC).isoformat(), "recommendation_id": served["recommendation_id"],
            })  # fmt: skip
        response = client.post("/api/recommendations/signals", json=signals, headers=service)
        assert response.json()["accepted"] == 6
    out = runner.invoke(app, ["evaluate-policy", "--candidate", "greedy", "--reward", "click"])
    assert out.exit_code == 0, out.output
    assert "6 lists, 24 impressions (0 left out" in out.output
    assert "ips:" in out.output and "snips:" in out.output
    logged = runner.invoke(app, ["evaluate-policy", "--candidate", "logged", "--reward", "click"])
    assert "logged policy: 1.00000 click per list" in logged.output
    assert "ips: 1.00000" in logged.output
    refused = runner.invoke(app, ["evaluate-policy", "--candidate", "bogus"])
    assert refused.exit_code == 1 and "candidate must be one of" in refused.output
