"""Alembic migrations: up, all the way down, up again, on both backends; the result matches the models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from optirec.migrate import downgrade, upgrade
from optirec.store import make_engine
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


def tables(url: str) -> set[str]:
    engine = make_engine(url, pool_size=1)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def differences(url: str) -> list[object]:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
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
    from sqlalchemy import text

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
