"""The model registry: versions with their metrics, data window and checksum, and which one is live."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from optirec.errors import Conflict, NotFound, shown
from optirec.store import utcnow
from optirec.store.tables import ModelVersion

LIVE, CANDIDATE, RETIRED, REJECTED, FAILED = "live", "candidate", "retired", "rejected", "failed"


class ModelVersionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    checksum: str
    metrics: dict[str, Any]
    data_window: dict[str, Any]
    note: str
    created_at: Any
    promoted_at: Any
    workers: int = 0  # running workers that serve it (`recommend.workers`): a live version no worker serves failed


def register_version(
    *,
    session: Session,
    version: str,
    artifact_path: str,
    checksum: str,
    metrics: dict[str, Any],
    data_window: dict[str, Any],
    status: str = CANDIDATE,
    note: str = "",
) -> ModelVersion:
    row = ModelVersion(
        id=version,
        status=status,
        artifact_path=artifact_path,
        checksum=checksum,
        metrics=metrics,
        data_window=data_window,
        note=note,
    )
    session.add(row)
    session.flush()
    return row


def list_versions(*, session: Session) -> list[ModelVersion]:
    return list(session.scalars(select(ModelVersion).order_by(ModelVersion.created_at.desc())))


def live_version(*, session: Session) -> ModelVersion | None:
    return session.scalar(select(ModelVersion).where(ModelVersion.status == LIVE))


def get_version(*, session: Session, version: str) -> ModelVersion:
    row = session.get(ModelVersion, version)
    if row is None:
        raise NotFound(f"No model version {shown(version)}.")
    return row


def promote(*, session: Session, version: str, note: str = "") -> ModelVersion:
    """Make `version` the live one; the previous live version is retired (and can be rolled back to)."""
    row = get_version(session=session, version=version)
    if row.status == FAILED:
        raise Conflict(f"Model version {shown(version)} failed to train and cannot be served.")
    session.execute(update(ModelVersion).where(ModelVersion.status == LIVE).values(status=RETIRED))
    row.status = LIVE
    row.promoted_at = utcnow()
    if note:
        row.note = note
    session.flush()
    return row


def rollback(*, session: Session) -> ModelVersion:
    """Serve again the version that was live before the current one."""
    current = live_version(session=session)
    previous = session.scalar(
        select(ModelVersion)
        .where(ModelVersion.status == RETIRED, ModelVersion.promoted_at.is_not(None))
        .order_by(ModelVersion.promoted_at.desc())
    )
    if previous is None:
        raise Conflict("There is no earlier live version to roll back to.")
    promoted = promote(session=session, version=previous.id, note=f"rolled back from {current.id if current else '—'}")
    if current is not None:
        current.status = REJECTED
        current.note = f"rolled back to {previous.id}"  # why it was rejected, replacing how it became live
    return promoted
