"""Versioned model artifacts: a folder of numpy files plus `manifest.json` with metadata and sha256 sums.

Saving writes to a temporary sibling folder and renames it into place, so a reader never sees half an
artifact. Loading checks every file against the manifest and raises `CorruptArtifact` on any mismatch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from optirec.errors import CorruptArtifact

FORMAT = "optirec-model/1"
MANIFEST = "manifest.json"
ArrayFiles = dict[str, dict[str, npt.NDArray[Any]]]


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_artifact(path: Path, arrays: ArrayFiles, metadata: dict[str, Any]) -> Path:
    """Write `{file: {name: array}}` as .npz files and the manifest; returns `path`."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    checksums: dict[str, str] = {}
    for name, content in arrays.items():
        file = tmp / f"{name}.npz"
        np.savez(file, **content)  # type: ignore[arg-type]
        checksums[file.name] = sha256_file(file)
    manifest = {"format": FORMAT, "files": checksums, "metadata": metadata}
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    if path.exists():
        shutil.rmtree(path)
    tmp.rename(path)
    return path


def load_artifact(path: Path) -> tuple[ArrayFiles, dict[str, Any]]:
    """Read an artifact folder, checking the manifest and every checksum first."""
    manifest = _read_manifest(path)
    arrays: ArrayFiles = {}
    for file_name, expected in manifest["files"].items():
        file = path / file_name
        if not file.is_file():
            raise CorruptArtifact(f"{path}: {file_name} is missing")
        if sha256_file(file) != expected:
            raise CorruptArtifact(f"{path}: {file_name} does not match its checksum", details={"file": file_name})
        try:
            with np.load(file, allow_pickle=False) as data:
                arrays[file.stem] = {key: data[key] for key in data.files}
        except (OSError, ValueError) as exc:
            raise CorruptArtifact(f"{path}: {file_name} cannot be read: {exc}") from exc
    return arrays, dict(manifest["metadata"])


def _read_manifest(path: Path) -> dict[str, Any]:
    """The parsed manifest, or `CorruptArtifact` when it is missing, unreadable or of another format."""
    file = path / MANIFEST
    if not file.is_file():
        raise CorruptArtifact(f"{path}: no {MANIFEST}; not a model artifact")
    try:
        manifest = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptArtifact(f"{path}: {MANIFEST} cannot be parsed: {exc}") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or not isinstance(manifest.get("files"), dict)
    ):
        raise CorruptArtifact(f"{path}: {MANIFEST} is not an {FORMAT} manifest")
    return manifest
