"""Model artifacts in the database, so that every replica, on any host, can serve the live model.

Training stores the artifact's files (`ml.model.artifact`: the numpy files and `manifest.json`) as chunks of the
`model_artifact_chunks` table in the transaction that registers the version. A replica asks `local_artifact` for the
live version's folder: the copy under `<data_dir>/models/<version>` when its manifest matches the version's
checksum, else the folder training wrote when it is on this host and matches, else a fresh copy downloaded from the
database into a temporary folder, checked, and renamed into place. Loading then checks every file against the
manifest (`load_artifact`), so a replica never serves bytes that differ from what training registered.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from optirec.errors import CorruptArtifact
from optirec.store import Database
from optirec.store.tables import ModelArtifactChunk

CHUNK_BYTES = 4 * 1024 * 1024  # a row's share of a file: bounded memory on both sides, well under bytea's limit
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Wanted:
    """A registered version as the registry names it: its id, where training wrote it, and its checksum."""

    version: str
    path: str
    checksum: str


def manifest_checksum(folder: Path) -> str | None:
    """The sha256 of an artifact folder's manifest (what the registry keeps as the version's checksum); None when
    the folder holds no manifest."""
    try:
        return hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()
    except OSError:
        return None


def store_artifact(session: Session, version: str, folder: Path) -> int:
    """Store every file of `folder` as the artifact of `version` (replacing any stored before); the bytes stored."""
    session.execute(delete(ModelArtifactChunk).where(ModelArtifactChunk.version == version))
    stored = 0
    for file in sorted(p for p in folder.iterdir() if p.is_file()):
        with file.open("rb") as handle:
            for number, data in enumerate(iter(lambda: handle.read(CHUNK_BYTES), b"")):
                row = {"version": version, "file": file.name, "chunk": number, "data": data}
                session.execute(insert(ModelArtifactChunk), [row])
                stored += len(data)
        if file.stat().st_size == 0:  # an empty file is still part of the artifact
            session.execute(insert(ModelArtifactChunk), [{"version": version, "file": file.name, "chunk": 0,
                                                          "data": b""}])  # fmt: skip
    return stored


def local_artifact(db: Database, wanted: Wanted, models_dir: Path | None) -> Path:
    """A folder on this host holding `wanted`'s artifact with its registered checksum: the copy in `models_dir`,
    the folder training wrote, or one downloaded from the database into `models_dir` (None: no download).
    `CorruptArtifact` when none of them matches the checksum."""
    cached = models_dir / wanted.version if models_dir is not None else None
    if cached is not None and manifest_checksum(cached) == wanted.checksum:
        return cached
    if wanted.path and manifest_checksum(Path(wanted.path)) == wanted.checksum:
        return Path(wanted.path)
    if cached is None:
        raise CorruptArtifact(f"model {wanted.version}: no artifact on this host matches its checksum")
    return download_artifact(db, wanted, cached)


def download_artifact(db: Database, wanted: Wanted, target: Path) -> Path:
    """Write `wanted`'s stored artifact into `target` (through a temporary sibling folder, renamed into place once
    its manifest matches the registered checksum: a reader never sees half an artifact)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.download-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _write_chunks(db, wanted.version, tmp)
        if manifest_checksum(tmp) != wanted.checksum:
            raise CorruptArtifact(f"model {wanted.version}: the stored artifact does not match its checksum")
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_chunks(db: Database, version: str, folder: Path) -> None:
    """Every stored chunk of `version`, appended to its file in order, a few rows in memory at a time."""
    query = (
        select(ModelArtifactChunk.file, ModelArtifactChunk.data)
        .where(ModelArtifactChunk.version == version)
        .order_by(ModelArtifactChunk.file, ModelArtifactChunk.chunk)
        .execution_options(yield_per=4)
    )
    found = False
    with db.read() as session:
        for name, data in session.execute(query):
            if "/" in name or name.startswith("."):
                raise CorruptArtifact(f"model {version}: a stored file has an unexpected name")
            with (folder / name).open("ab") as out:
                out.write(data)
            found = True
    if not found:
        raise CorruptArtifact(f"model {version}: no artifact is stored in the database")
