"""The model registry: promote, roll back, refuse what cannot serve (both backends)."""

from __future__ import annotations

import pytest

from optirec.errors import Conflict, NotFound
from optirec.store import Database
from optirec.training import registry


def _register(db: Database, version: str, status: str = registry.CANDIDATE) -> None:
    with db.write() as session:
        registry.register_version(
            session=session, version=version, artifact_path=f"/models/{version}", checksum="0" * 64,
            metrics={"candidate": {"ndcg@10": 0.1}}, data_window={"signals": 10}, status=status,
        )  # fmt: skip


def test_promote_retires_the_previous_live_version_and_rollback_restores_it(db: Database) -> None:
    _register(db, "v1")
    _register(db, "v2")
    with db.write() as session:
        registry.promote(session=session, version="v1")
    with db.write() as session:
        registry.promote(session=session, version="v2")
    with db.read() as session:
        assert registry.live_version(session=session).id == "v2"  # type: ignore[union-attr]
        assert registry.get_version(session=session, version="v1").status == registry.RETIRED
    with db.write() as session:
        assert registry.rollback(session=session).id == "v1"
    with db.read() as session:
        assert registry.live_version(session=session).id == "v1"  # type: ignore[union-attr]
        assert registry.get_version(session=session, version="v2").status == registry.REJECTED
        assert [v.status for v in registry.list_versions(session=session)].count(registry.LIVE) == 1


def test_failed_versions_and_missing_ones_are_refused(db: Database) -> None:
    _register(db, "broken", status=registry.FAILED)
    with db.write() as session, pytest.raises(Conflict):
        registry.promote(session=session, version="broken")
    with db.write() as session, pytest.raises(NotFound):
        registry.promote(session=session, version="nope")
    with db.write() as session, pytest.raises(Conflict, match="no earlier live version"):
        registry.rollback(session=session)
