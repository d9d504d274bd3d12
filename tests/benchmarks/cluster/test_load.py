"""The multi-host test's traffic and report, against a real `optirec serve` on loopback (no namespaces, no root):
every answer is kept with its cause, and the report finds each acknowledged signal in the database."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from benchmarks.cluster.load import BATCH, Shop, Traffic
from benchmarks.cluster.report import summarise, table
from benchmarks.seed import load_demo_shop
from benchmarks.server import bench_database, free_port, running_server, server_env
from optirec.auth import service as auth_service
from optirec.demo.shop import generate_demo_shop
from optirec.settings import BUILTIN_ACTION_TYPES
from optirec.store import Database
from optirec.store.tables import Customer, Product


def _shop(url: str, folder: Path) -> Shop:
    from sqlalchemy import select

    generate_demo_shop(folder, products=60, customers=40, events=400, progress=False)
    db = Database(url, pool_size=1)
    load_demo_shop(db, folder, events=400, action_types=frozenset(BUILTIN_ACTION_TYPES), say=lambda _line: None)
    with db.write() as session:
        _key, secret = auth_service.create_api_key(session=session, name="traffic", role="service")
    with db.read() as session:
        customers = list(session.scalars(select(Customer.id).where(Customer.role == "customer")))
        products = list(session.scalars(select(Product.id)))
    db.dispose()
    return Shop(secret, customers, products)


@pytest.mark.postgres
def test_the_traffic_keeps_every_answer_and_the_report_counts_the_acknowledged_signals(tmp_path: Path) -> None:
    with bench_database("postgres") as url:
        shop = _shop(url, tmp_path / "shop")
        with running_server(server_env(url, tmp_path / "data")) as server:
            traffic = Traffic("127.0.0.1", server.port, shop, label=f"t{time.time_ns()}", rate=20)
            traffic.start()
            time.sleep(2)
            outcomes = traffic.stop()
        report = summarise("loopback", outcomes, url)
    signals = [o for o in outcomes if o.kind == "signals"]
    assert report.sent == len(outcomes) >= 30 and signals
    assert report.failed == 0, report.causes
    assert report.acknowledged_signals == BATCH * len(signals) and report.lost_signals == 0
    assert {o.version for o in outcomes if o.kind == "list"} == {"popularity"}  # no model trained


def test_a_request_without_an_answer_is_kept_with_its_cause() -> None:
    traffic = Traffic("127.0.0.1", free_port(), Shop("key", ["c1"], ["p1"]), label="refused", rate=20)
    traffic.start()
    time.sleep(0.5)
    outcomes = traffic.stop()
    assert outcomes and all(o.status == 0 and o.cause == "no answer: ConnectionRefusedError" for o in outcomes)
    report = summarise("refused", outcomes, "postgresql+psycopg://unused/none")
    assert report.failed == report.sent == len(outcomes) and report.acknowledged_signals == 0
    assert f"{len(outcomes)} x no answer: ConnectionRefusedError" in table([report])
