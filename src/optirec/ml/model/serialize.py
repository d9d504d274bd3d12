"""Converting a `ServedModel` to and from the arrays and metadata of an artifact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optirec.errors import CorruptArtifact
from optirec.ml.model.artifact import ArrayFiles
from optirec.ml.model.index import UserEncoderNumpy
from optirec.ml.model.itemitem import ItemItem

if TYPE_CHECKING:
    from optirec.ml.model.served import ServedModel


def served_arrays(model: ServedModel) -> ArrayFiles:
    """The artifact's files: encoder weights, item index (embeddings, ids, popularity), relations, content."""
    files: ArrayFiles = {
        "encoder": dict(model.encoder.weights),
        "item_index": {
            "item_table": model.item_table,
            "item_ids": np.array(model.item_ids, dtype=np.str_),
            "popularity": model.popularity,
        },
        "content": {"token_table": model.token_table, "vocabulary": np.array(model.vocabulary, dtype=np.str_)},
    }
    if model.text_projection is not None:
        files["content"]["text_projection"] = model.text_projection
    if model.item_item is not None:
        m = model.item_item.neighbours
        files["item_item"] = {"data": m.data, "indices": m.indices, "indptr": m.indptr, "shape": np.array(m.shape)}
    return files


def served_metadata(model: ServedModel) -> dict[str, Any]:
    """JSON metadata: version, encoder shape, blend parameters and whatever the trainer recorded."""
    return {
        **model.metadata,
        "version": model.version,
        "layers": model.encoder.layers,
        "heads": model.encoder.heads,
        "max_len": model.encoder.max_len,
        "weights": list(model.weights),
        "decay": model.decay,
        "n_items": len(model.item_ids),
    }


def served_fields(arrays: ArrayFiles, metadata: dict[str, Any]) -> dict[str, Any]:
    """The fields of a `ServedModel` from checked artifact contents (the class builds itself from them)."""
    try:
        index, content = arrays["item_index"], arrays["content"]
        encoder = UserEncoderNumpy(
            {k: _f32(v) for k, v in arrays["encoder"].items()},
            int(metadata["layers"]),
            int(metadata["heads"]),
            int(metadata["max_len"]),
        )
        item_item = None
        if "item_item" in arrays:
            m = arrays["item_item"]
            shape = (int(m["shape"][0]), int(m["shape"][1]))
            item_item = ItemItem(sp.csr_matrix((m["data"], m["indices"], m["indptr"]), shape=shape))
        weights = metadata["weights"]
        return dict(
            version=str(metadata["version"]),
            item_ids=[str(i) for i in index["item_ids"]],
            encoder=encoder,
            item_table=_f32(index["item_table"]),
            item_item=item_item,
            weights=(float(weights[0]), float(weights[1])),
            decay=float(metadata["decay"]),
            popularity=_f32(index["popularity"]),
            vocabulary=[str(t) for t in content["vocabulary"]],
            token_table=_f32(content["token_table"]),
            text_projection=_f32(content["text_projection"]) if "text_projection" in content else None,
            metadata=metadata,
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise CorruptArtifact(f"artifact contents are incomplete: {exc}") from exc


def _f32(array: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    return np.ascontiguousarray(array, dtype=np.float32)
