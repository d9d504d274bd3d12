"""Training our sequence model: full softmax cross-entropy over the catalogue at every real position.

Deterministic under `ModelConfig.seed`; reports progress through a callback; uses a GPU when present.
Early stopping watches NDCG@10 on the validation targets, never the test targets.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from optirec.ml.content import ContentFeatures
from optirec.ml.data import IntArray, Interactions
from optirec.ml.harness import evaluate_scorer
from optirec.ml.model import ModelConfig, SequenceRecommender
from optirec.ml.sequences import left_pad, training_windows, user_sequences
from optirec.ml.splits import EvalSplit

Progress = Callable[[str], None]


@dataclass
class TrainResult:
    """The trained network, its best validation NDCG@10 and the epoch it came from."""

    model: SequenceRecommender
    best_ndcg: float
    best_epoch: int
    seconds: float


def pick_device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> np.random.Generator:
    """Seed torch and return a numpy generator, so that one seed fixes the whole run."""
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


class _Tensors:
    """Content features moved to the training device once."""

    def __init__(self, content: ContentFeatures, device: torch.device) -> None:
        pad = np.zeros((1, content.token_ids.shape[1]), dtype=np.int64)
        self.tokens = torch.from_numpy(np.concatenate([pad, content.token_ids])).to(device)
        self.text = None
        if content.has_text:
            zero = np.zeros((1, content.text.shape[1]), dtype=np.float32)
            self.text = torch.from_numpy(np.concatenate([zero, content.text])).to(device)


def train_sequence_model(
    train: Interactions,
    content: ContentFeatures,
    config: ModelConfig,
    valid: EvalSplit | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Train on `train`; with `valid`, keep the weights of the best validation NDCG@10 and stop early."""
    rng = seed_everything(config.seed)
    device = pick_device()
    feats = _Tensors(content, device)
    model = SequenceRecommender(config, train.n_items, content.n_tokens, content.has_text).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    items, actions = user_sequences(train)
    trainable = np.array([u for u in range(train.n_users) if items[u].size >= 2], dtype=np.int64)
    best = (-1.0, 0, copy.deepcopy(model.state_dict()))
    stale, start = 0, time.monotonic()
    for epoch in range(1, config.epochs + 1):
        loss = _run_epoch(model, optimizer, feats, items, actions, trainable, rng, device)
        message = f"epoch {epoch}: loss {loss:.4f}"
        if valid is not None and (epoch % config.eval_every == 0 or epoch == config.epochs):
            ndcg = _validate(model, feats, items, actions, valid, device)
            message += f", valid ndcg@10 {ndcg:.4f}"
            if ndcg > best[0]:
                best, stale = (ndcg, epoch, copy.deepcopy(model.state_dict())), 0
            else:
                stale += 1
        if progress is not None:
            progress(message)
        if stale >= config.patience or time.monotonic() - start > config.max_seconds:
            break
    if valid is not None:
        model.load_state_dict(best[2])
    model.eval()
    return TrainResult(model.cpu(), best[0], best[1] if valid is not None else epoch, time.monotonic() - start)


def _run_epoch(
    model: SequenceRecommender,
    optimizer: torch.optim.Optimizer,
    feats: _Tensors,
    items: list[IntArray],
    actions: list[IntArray],
    trainable: IntArray,
    rng: np.random.Generator,
    device: torch.device,
) -> float:
    """One pass over the users in a seeded random order; returns the mean loss."""
    model.train()
    config = model.config
    order = rng.permutation(trainable)
    n_rows = feats.tokens.shape[0]
    total, steps = 0.0, 0
    for start in range(0, order.size, config.batch_size):
        seq, act, target = training_windows(
            items, actions, order[start : start + config.batch_size], config.max_len, rng
        )
        keep = torch.from_numpy((rng.random(n_rows) >= config.id_dropout).astype(np.float32)).to(device)
        hidden, table = model(
            torch.from_numpy(seq).to(device), torch.from_numpy(act).to(device), feats.tokens, feats.text, keep
        )
        target_t = torch.from_numpy(target).to(device)
        real = target_t > 0
        logits = hidden[real] @ table[1:].T  # (n_real, n_items)
        loss = F.cross_entropy(logits, target_t[real] - 1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total, steps = total + float(loss.item()), steps + 1
    return total / max(steps, 1)


@torch.no_grad()
def user_vectors(
    model: SequenceRecommender, items: list[IntArray], actions: list[IntArray], users: IntArray
) -> torch.Tensor:
    """The user vector (last position) of each user's latest signals, shape (len(users), dim)."""
    length = model.config.max_len
    seq = torch.from_numpy(left_pad([items[u] for u in users], length))
    act = torch.from_numpy(left_pad([actions[u] for u in users], length))
    device = next(model.parameters()).device
    table = model.items.ids.weight  # only for its device; the real table comes from forward
    hidden, _ = model(seq.to(device), act.to(device), *_content_args(model, table.device))
    return hidden[:, -1]


def _content_args(model: SequenceRecommender, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The content tensors registered on the model by `attach_content`."""
    tokens: torch.Tensor = model.get_buffer("content_tokens").to(device)
    text = model.get_buffer("content_text").to(device) if hasattr(model, "content_text") else None
    return tokens, text


def attach_content(model: SequenceRecommender, feats: _Tensors) -> None:
    """Keep the content tensors on the model, so scoring needs nothing else."""
    model.register_buffer("content_tokens", feats.tokens, persistent=False)
    if feats.text is not None:
        model.register_buffer("content_text", feats.text, persistent=False)


def _validate(
    model: SequenceRecommender,
    feats: _Tensors,
    items: list[IntArray],
    actions: list[IntArray],
    valid: EvalSplit,
    device: torch.device,
) -> float:
    """NDCG@10 of the network alone on the validation targets."""
    model.eval()
    attach_content(model, feats)

    def score(users: IntArray) -> np.ndarray:  # type: ignore[type-arg]
        with torch.no_grad():
            vectors = user_vectors(model, items, actions, users)
            table = model.items(feats.tokens, feats.text)[1:]
            return (vectors @ table.T).cpu().numpy()

    return evaluate_scorer(score, valid)["ndcg@10"]
