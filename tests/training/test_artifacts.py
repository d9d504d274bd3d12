"""Model artifacts in the database (`training.artifacts`): stored in chunks, downloaded by a replica whose data
folder is empty, checked against the registered checksum; a tampered or missing artifact is refused. Both backends."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update

from optirec.errors import CorruptArtifact
from optirec.ml.model.artifact import load_artifact, save_artifact
from optirec.store import Database
from optirec.store.tables import ModelArtifactChunk
from optirec.training import artifacts, registry
from optirec.training.artifacts import Wanted, local_artifact, manifest_checksum, store_artifact


def _artifact(folder: Path, version: str) -> tuple[Path, dict[str, np.ndarray]]:
    """A small artifact whose `table` spans three chunks of `CHUNK_BYTES` (set small by the test)."""
    rng = np.random.default_rng(7)
    table = rng.standard_normal((300, 16)).astype(np.float32)
    path = save_artifact(folder / version, {"index": {"table": table}, "empty": {}}, {"version": version})
    return path, {"table": table}


def _register(db: Database, version: str, path: Path, *, stored: bool = True) -> Wanted:
    checksum = manifest_checksum(path)
    assert checksum is not None
    with db.write() as session:
        registry.register_version(session=session, version=version, artifact_path=str(path), checksum=checksum,
                                  metrics={}, data_window={})  # fmt: skip
        if stored:
            store_artifact(session, version, path)
    return Wanted(version, str(path), checksum)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(artifacts, "CHUNK_BYTES", 8 * 1024)


def test_a_replica_with_an_empty_data_folder_downloads_the_stored_artifact(db: Database, tmp_path: Path) -> None:
    path, arrays = _artifact(tmp_path / "trainer", "v1")
    wanted = _register(db, "v1", path)
    with db.read() as session:
        chunks = session.scalars(select(ModelArtifactChunk.chunk).where(ModelArtifactChunk.file == "index.npz")).all()
    assert len(chunks) > 2  # the large file is really split
    elsewhere = Wanted("v1", str(tmp_path / "gone"), wanted.checksum)  # the trainer's folder is not on this host
    replica = tmp_path / "replica" / "models"
    folder = local_artifact(db, elsewhere, replica)
    assert folder == replica / "v1" and manifest_checksum(folder) == wanted.checksum
    loaded, metadata = load_artifact(folder)
    assert np.array_equal(loaded["index"]["table"], arrays["table"]) and metadata == {"version": "v1"}
    assert sorted(p.name for p in replica.iterdir()) == ["v1"]  # no temporary folder left behind
    # Asked again, the copy on this host serves: no download (the stored rows could be gone by now).
    with db.write() as session:
        session.execute(ModelArtifactChunk.__table__.delete())
    assert local_artifact(db, elsewhere, replica) == folder


def test_the_folder_training_wrote_is_used_where_it_is_on_this_host(db: Database, tmp_path: Path) -> None:
    path, _ = _artifact(tmp_path / "trainer", "v2")
    wanted = _register(db, "v2", path, stored=False)
    assert local_artifact(db, wanted, tmp_path / "replica") == path


def test_a_stored_artifact_that_differs_from_its_checksum_is_refused(db: Database, tmp_path: Path) -> None:
    path, _ = _artifact(tmp_path / "trainer", "v3")
    wanted = _register(db, "v3", path)
    with db.write() as session:
        session.execute(
            update(ModelArtifactChunk)
            .where(ModelArtifactChunk.file == "manifest.json")
            .values(data=b'{"format": "optirec-model/1", "files": {}, "metadata": {}}\n')
        )
    replica = tmp_path / "replica"
    with pytest.raises(CorruptArtifact, match="does not match its checksum"):
        local_artifact(db, Wanted("v3", "", wanted.checksum), replica)
    assert not (replica / "v3").exists() and list(replica.iterdir()) == []


def test_a_version_with_no_stored_artifact_is_refused_and_without_a_folder_nothing_is_downloaded(
    db: Database, tmp_path: Path
) -> None:
    path, _ = _artifact(tmp_path / "trainer", "v4")
    wanted = _register(db, "v4", path, stored=False)
    with pytest.raises(CorruptArtifact, match="no artifact is stored"):
        local_artifact(db, Wanted("v4", "", wanted.checksum), tmp_path / "replica")
    with pytest.raises(CorruptArtifact, match="no artifact on this host"):
        local_artifact(db, Wanted("v4", "", wanted.checksum), None)


def test_the_registered_checksum_is_the_manifest_digest(tmp_path: Path) -> None:
    path, _ = _artifact(tmp_path, "v5")
    assert manifest_checksum(path) == hashlib.sha256((path / "manifest.json").read_bytes()).hexdigest()
    assert manifest_checksum(tmp_path / "nothing") is None
