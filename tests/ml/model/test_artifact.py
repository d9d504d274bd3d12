"""Artifacts: round trip, and refusal to load anything corrupted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from optirec.errors import CorruptArtifact
from optirec.ml.model.artifact import load_artifact, save_artifact


def _save(path: Path) -> Path:
    arrays = {"weights": {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, "index": {"ids": np.array(["a", "b"])}}
    return save_artifact(path, arrays, {"version": "v1", "metrics": {"ndcg@10": 0.5}})


def test_round_trip(tmp_path: Path) -> None:
    arrays, metadata = load_artifact(_save(tmp_path / "model"))
    assert np.array_equal(arrays["weights"]["w"], np.arange(6, dtype=np.float32).reshape(2, 3))
    assert arrays["index"]["ids"].tolist() == ["a", "b"]
    assert metadata == {"version": "v1", "metrics": {"ndcg@10": 0.5}}
    assert not list(tmp_path.glob(".model.tmp-*"))


def test_a_flipped_byte_is_refused(tmp_path: Path) -> None:
    path = _save(tmp_path / "model")
    blob = bytearray((path / "weights.npz").read_bytes())
    blob[-10] ^= 0xFF
    (path / "weights.npz").write_bytes(bytes(blob))
    with pytest.raises(CorruptArtifact, match=r"weights\.npz does not match its checksum"):
        load_artifact(path)


def test_missing_file_and_bad_manifest_are_refused(tmp_path: Path) -> None:
    path = _save(tmp_path / "model")
    (path / "index.npz").unlink()
    with pytest.raises(CorruptArtifact, match=r"index\.npz is missing"):
        load_artifact(path)
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(CorruptArtifact, match="cannot be parsed"):
        load_artifact(path)
    (path / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(CorruptArtifact, match=r"not an optirec-model/1 manifest"):
        load_artifact(path)
    with pytest.raises(CorruptArtifact, match="not a model artifact"):
        load_artifact(tmp_path / "nothing")
