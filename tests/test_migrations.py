"""Alembic migrations: up, all the way down, up again, on both backends; the result matches the models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from optirec.migrate import downgrade, upgrade
from optirec.store import make_engine
from optirec.store.partitions import period_start
from optirec.store.tables import Base
from tests.conftest import _create_postgres_database, _drop_postgres_database


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of its own per backend (the shared test databases stay migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'migrations.db'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


def partitions(url: str) -> set[str]:
    """The partitions of PostgreSQL's partitioned tables (`store.partitions`): storage, not tables of the models."""
    if not url.startswith("postgresql"):
        return set()
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(text("SELECT relname FROM pg_class WHERE relispartition")))
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"} - partitions(url)
    finally:
        engine.dispose()


def differences(url: str) -> list[object]:
    engine = make_engine(url, pool_size=1)
    storage = partitions(url)
    try:
        with engine.connect() as connection:
            opts = {"compare_type": True, "include_name": lambda name, kind, _parent: name not in storage}
            context = MigrationContext.configure(connection, opts=opts)
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    upgrade(fresh_url)
    assert tables(fresh_url) == set(Base.metadata.tables)
    upgrade(fresh_url)  # safe to run again
    downgrade(fresh_url, "base")
    assert tables(fresh_url) == set()
    upgrade(fresh_url)
    assert tables(fresh_url) == set(Base.metadata.tables)


def test_migrated_schema_matches_the_models(fresh_url: str) -> None:
    upgrade(fresh_url)  # already at head after the round trip above; safe either way
    assert differences(fresh_url) == []


def test_the_model_artifacts_revision_runs_on_a_database_with_data(fresh_url: str) -> None:
    """0008 (model artifacts in the database) up and down on a database that holds a registered version and its
    stored artifact: the rows before it are kept, the chunks go with the table."""
    downgrade(fresh_url, "0006")
    engine = make_engine(fresh_url, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO model_versions (id, status, artifact_path, checksum, metrics, data_window, created_at, "
                "note) VALUES ('v1', 'live', '/elsewhere/v1', 'abc', '{}', '{}', CURRENT_TIMESTAMP, '')"
            ))  # fmt: skip
        upgrade(fresh_url)
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO model_artifact_chunks (version, file, chunk, data) VALUES ('v1', 'a.npz', 0, :d)"),
                {"d": b"\x00\x01"},
            )
        downgrade(fresh_url, "0006")
        upgrade(fresh_url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM model_versions")).scalars().all() == ["v1"]
            assert connection.execute(text("SELECT count(*) FROM model_artifact_chunks")).scalar() == 0
            connection.execute(text("DELETE FROM model_versions"))
            connection.commit()
    finally:
        engine.dispose()


def test_the_served_list_partitions_revision_keeps_the_rows_on_a_database_with_data(fresh_url: str) -> None:
    """0009 (the served-list log partitioned by month on PostgreSQL; nothing on SQLite) up and down with lists in
    the log, one older than any monthly partition: every row is kept both ways."""
    downgrade(fresh_url, "0008")
    engine = make_engine(fresh_url, pool_size=1)
    insert = text(
        "INSERT INTO served_recommendations (id, surface, model_version, items, served_at) "
        "VALUES (:id, 'home', 'v1', '[]', :at)"
    )
    rows = [{"id": "r-now", "at": "2026-12-05T10:00:00+00:00"}, {"id": "r-old", "at": "2019-03-01T00:00:00+00:00"}]
    try:
        with engine.begin() as connection:
            connection.execute(insert, rows)
        upgrade(fresh_url)
        with engine.begin() as connection:
            assert sorted(connection.scalars(text("SELECT id FROM served_recommendations"))) == ["r-now", "r-old"]
            connection.execute(insert, [{"id": "r-new", "at": "2026-12-06T10:00:00+00:00"}])
        if fresh_url.startswith("postgresql"):
            this_month = f"served_recommendations_p{datetime.now(UTC):%Y%m}"
            assert {"served_recommendations_default", this_month} <= partitions(fresh_url)
            with engine.connect() as connection:
                where = "SELECT tableoid::regclass::text FROM served_recommendations WHERE id = 'r-old'"
                assert connection.scalar(text(where)) == "served_recommendations_default"  # older than two years
        downgrade(fresh_url, "0008")
        assert partitions(fresh_url) == set()
        upgrade(fresh_url)
        with engine.begin() as connection:
            assert sorted(connection.scalars(text("SELECT id FROM served_recommendations"))) == [
                "r-new", "r-now", "r-old"
            ]  # fmt: skip
            connection.execute(text("DELETE FROM served_recommendations"))
    finally:
        engine.dispose()


def test_the_signal_partitions_revision_keeps_the_rows_on_a_database_with_data(fresh_url: str) -> None:
    """0013 (signals partitioned by quarter on PostgreSQL, the event's time in its key on both) up and down with
    signals stored, one older than any monthly partition: every row is kept up; down, of two signals that share an
    id and shopper at different times (allowed from 0013 on) the first is kept, as the older key demands."""
    downgrade(fresh_url, "0012")
    engine = make_engine(fresh_url, pool_size=1)
    insert = text(
        "INSERT INTO signals (event_id, event_scope, customer_id, product_id, product_known, action_type, occurred_at, "
        "received_at, quantity) VALUES (:id, 'c:c1', 'c1', 'P1', true, 'view', :at, :at, 1)"
    )
    try:
        with engine.begin() as connection:
            connection.execute(insert, [{"id": "now", "at": "2026-12-05T10:00:00+00:00"},
                                        {"id": "old", "at": "2019-03-01T00:00:00+00:00"}])  # fmt: skip
        upgrade(fresh_url)
        with engine.begin() as connection:
            connection.execute(insert, [{"id": "now", "at": "2026-12-06T10:00:00+00:00"}])  # the same id, later
            assert sorted(connection.scalars(text("SELECT event_id FROM signals"))) == ["now", "now", "old"]
        if fresh_url.startswith("postgresql"):
            assert {"signals_default", f"signals_p{period_start('signals', datetime.now(UTC)):%Y%m}"} <= partitions(
                fresh_url
            )
            with engine.connect() as connection:
                where = "SELECT tableoid::regclass::text FROM signals WHERE event_id = 'old'"
                assert connection.scalar(text(where)) == "signals_default"  # older than two years
        downgrade(fresh_url, "0012")
        assert not any(name.startswith("signals_") for name in partitions(fresh_url))
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT event_id, occurred_at FROM signals ORDER BY event_id")).all()
        assert [(event, str(at)[:10]) for event, at in rows] == [("now", "2026-12-05"), ("old", "2019-03-01")]
        upgrade(fresh_url)
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM signals"))
    finally:
        engine.dispose()
