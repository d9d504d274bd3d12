"""Alembic environment: migrates the database of the URL passed in by `optirec migrate`."""

from __future__ import annotations

from alembic import context

from optirec.store import make_engine
from optirec.store.partitions import PARTITIONED
from optirec.store.tables import Base

config = context.config
url: str = config.get_main_option("sqlalchemy.url") or ""
if not url:
    raise RuntimeError("optirec migrate sets sqlalchemy.url")


def not_a_partition(name: str | None, kind: str, _parents: object) -> bool:
    """For autogenerate: PostgreSQL's partitions of a partitioned table (`store.partitions`, migration 0009) are
    storage, not tables of the models, and must not be proposed for dropping."""
    if kind != "table" or name is None:
        return True
    return not any(name == f"{table}_default" or name.startswith(f"{table}_p") for table in PARTITIONED)


def run_migrations_online() -> None:
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=not_a_partition,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
