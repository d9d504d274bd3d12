"""The `optirec` command line, run through Typer's test runner against a temporary SQLite database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from optirec.runtime.app import create_app
from optirec.runtime.cli import app
from optirec.settings import Settings
from tests.conftest import PASSWORD, product_data


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose settings point at a fresh SQLite file (and no `.env`: the working directory is empty)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPTIREC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OPTIREC_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    return runner


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_migrate_is_safe_to_run_again(cli: CliRunner) -> None:
    assert "up to date" in ok(cli, "migrate")


def test_keys_create_list_revoke(cli: CliRunner, tmp_path: Path) -> None:
    created = cli.invoke(app, ["keys", "create", "storefront"])
    assert created.exit_code == 0
    secret = next(line for line in created.stdout.splitlines() if line.startswith("ork_"))
    key_id = secret.split("_")[1]
    listed = ok(cli, "keys", "list")
    assert key_id in listed and "storefront" in listed and secret not in listed
    assert f"key {key_id} revoked" in ok(cli, "keys", "revoke", key_id)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/customers/x", headers={"X-API-Key": secret}).status_code == 401


def test_keys_refuse_an_unknown_role_and_an_unknown_id(cli: CliRunner) -> None:
    assert cli.invoke(app, ["keys", "create", "x", "--role", "customer"]).exit_code == 2
    result = cli.invoke(app, ["keys", "revoke", "nope"])
    assert result.exit_code == 1 and "No API key" in result.output


def test_admin_create_makes_an_account_that_signs_in_as_admin(cli: CliRunner) -> None:
    assert "administrator root@example.com created" in ok(
        cli, "admin", "create", "--email", "root@example.com", "--password", PASSWORD
    )
    with TestClient(create_app(Settings(_env_file=None))) as client:  # type: ignore[call-arg]
        form = {"username": "root@example.com", "password": PASSWORD}
        token = client.post("/api/auth/token", data=form).json()["access_token"]
        assert client.get("/api/admin/keys", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = cli.invoke(app, ["admin", "create", "--email", "root@example.com", "--password", PASSWORD])
    assert again.exit_code == 1 and "already exists" in again.output


def test_admin_create_refuses_a_weak_password_without_a_traceback(cli: CliRunner) -> None:
    # Regression: the ValidationError escaped as a traceback that also printed the password given.
    result = cli.invoke(app, ["admin", "create", "--email", "root@example.com", "--password", "short-pw"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "password: String should have at least 10 characters" in result.output and "short-pw" not in result.output


def test_import_products_reports_bad_lines_and_is_idempotent(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "products.jsonl"
    path.write_text(json.dumps(product_data("FR-1")) + "\n{broken\n" + json.dumps(product_data("FR-2")) + "\n")
    first = ok(cli, "import-products", str(path))
    assert "created 2" in first and "rejected 1" in first and "line 2" in first
    assert "unchanged 2" in ok(cli, "import-products", str(path))


def test_import_products_csv_without_a_required_column_fails(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("id,name\nFR-1,Aria\n")
    result = cli.invoke(app, ["import-products", str(path)])
    assert result.exit_code == 1 and "category" in result.output


def test_import_of_a_missing_file_or_unknown_format(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["import-products", str(tmp_path / "nope.jsonl")]).exit_code == 2
    (tmp_path / "p.xlsx").write_text("x")
    assert cli.invoke(app, ["import-products", str(tmp_path / "p.xlsx")]).exit_code == 2


def test_import_customers(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "customers.jsonl"
    path.write_text('{"id": "shop-1", "pd_mm": 62}\n{"id": "shop-2", "pd_mm": 5}\n')
    output = ok(cli, "import-customers", str(path))
    assert "created 1" in output and "rejected 1" in output and "line 2 (shop-2)" in output
    assert "unchanged 1" in ok(cli, "import-customers", str(path))


def test_import_then_export_events(cli: CliRunner, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,item_id,action,timestamp\n"
        "u1,FR-1,view,2026-11-01T10:00:00Z\n"
        "u1,FR-1,purchase,2026-11-02T10:00:00Z\n"
        "u2,FR-2,jump,2026-11-02T10:00:00Z\n"
    )
    first = ok(cli, "import-events", str(events))
    assert "created 2" in first and "rejected 1" in first and "line 4" in first
    assert "duplicates 2" in ok(cli, "import-events", str(events))
    out = tmp_path / "export" / "signals.parquet"
    assert "2 signals written" in ok(cli, "export-events", "--out", str(out))
    assert pq.read_table(out).column("action_type").to_pylist() == ["view", "purchase"]
    ok(cli, "export-events", "--out", str(out), "--since", "2026-11-02T00:00:00")
    assert pq.read_table(out).num_rows == 1


def test_import_events_without_a_required_column_fails(cli: CliRunner, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("user_id,item_id\nu1,FR-1\n")
    result = cli.invoke(app, ["import-events", str(events)])
    assert result.exit_code == 1 and "action" in result.output


def test_admin_create_refuses_a_guessable_password(cli: CliRunner) -> None:
    result = cli.invoke(app, ["admin", "create", "--email", "root@example.com", "--password", "password1234"])
    assert result.exit_code == 2 and "too easy to guess" in result.output and "password1234" not in result.output


def test_demo_refuses_a_database_with_customers_of_its_own(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (review item 11): `optirec demo` seeded its demo accounts, an administrator with a published
    password among them, into any database, a real shop's included."""
    ok(cli, "admin", "create", "--email", "owner@shop.example", "--password", PASSWORD)
    ok(cli, "demo-data", "--out", str(tmp_path / "shop"), "--products", "50", "--customers", "40", "--days", "5",
       "--events", "2000", "--no-progress")  # fmt: skip
    result = cli.invoke(app, ["demo", "--folder", str(tmp_path / "shop")])
    assert result.exit_code == 1 and "1 customers that are not the demo shop's" in result.output
    with TestClient(create_app(Settings(_env_file=None))) as client:  # type: ignore[call-arg]
        form = {"username": "admin@demo.optirec.example", "password": "optirec-demo-2026"}
        assert client.post("/api/auth/token", data=form).status_code == 401  # no demo account was made
        assert client.get("/api/catalog/products").json()["total"] == 0


def test_key_changes_and_model_commands_run_by_hand_are_in_the_audit_log(cli: CliRunner) -> None:
    from optirec.audit.service import command_line_actor, list_events
    from optirec.store import Database
    from optirec.training import registry

    created = ok(cli, "keys", "create", "storefront")
    key_id = next(line for line in created.splitlines() if line.startswith("ork_")).split("_")[1]
    ok(cli, "keys", "revoke", key_id)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    db = Database(settings.database_url, pool_size=1)
    with db.write() as session:
        for version in ("v1", "v2"):
            registry.register_version(session=session, version=version, artifact_path="/nowhere", checksum="0",
                                      metrics={}, data_window={}, status=registry.CANDIDATE, note="")  # fmt: skip
    ok(cli, "models", "promote", "v1")
    ok(cli, "models", "promote", "v2")
    ok(cli, "models", "rollback")
    assert cli.invoke(app, ["train"]).exit_code == 1  # too few signals: refused, but the attempt is on record
    with db.read() as session:
        events = list_events(session=session, limit=50).events
    db.dispose()
    actor = command_line_actor()
    assert [(e.action, e.target) for e in reversed(events)] == [
        ("key.create", key_id), ("key.revoke", key_id), ("model.promote", "v1"), ("model.promote", "v2"),
        ("model.rollback", "v1"), ("model.train", ""),
    ]  # fmt: skip
    assert {e.actor for e in events} == {actor}
    assert events[0].actor_label == f"the command line ({actor.partition(':')[2]})"
    assert events[1].detail == {"rolled_back": "v2"} and events[2].detail == {"was_live": "v1"}


def test_export_impressions_writes_each_item_shown_and_what_followed_it(cli: CliRunner, tmp_path: Path) -> None:
    created = ok(cli, "keys", "create", "shop").splitlines()
    service = {"X-API-Key": next(line for line in created if line.startswith("ork_"))}
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        for i in (1, 2, 3):
            assert (
                client.post("/api/catalog/products", json=product_data(f"FR-{i}"), headers=service).status_code == 201
            )
        assert client.put("/api/customers/c-1", json={}, headers=service).status_code == 200
        body = {"customer_id": "c-1", "limit": 3}
        served = client.post("/api/recommendations/personalized", json=body, headers=service).json()
        view = {
            "event_id": "e-1", "customer_id": "c-1", "product_id": served["items"][0]["product"]["id"],
            "action_type": "view", "occurred_at": datetime.now(UTC).isoformat(),
            "recommendation_id": served["recommendation_id"],
        }  # fmt: skip
        assert client.post("/api/recommendations/signals", json=view, headers=service).json()["accepted"] == 1
    out = tmp_path / "impressions.jsonl"
    assert "3 impressions written" in ok(cli, "export-impressions", "--out", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["position"], r["viewed"], r["propensity"]) for r in rows] == [
        (1, True, 1.0),
        (2, False, 1.0),
        (3, False, 1.0),
    ]
    assert "0 impressions written" in ok(cli, "export-impressions", "--out", str(out), "--since", "2100-01-01T00:00:00")
