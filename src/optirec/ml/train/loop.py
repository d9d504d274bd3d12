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
import numpy.typing as npt
import torch
from torch.nn import functional as F

from optirec.arrays import IntArray
from optirec.ml.model.content import ContentFeatures
from optirec.ml.model.network import ModelConfig, SequenceRecommender
from optirec.ml.train.data import Interactions
from optirec.ml.train.sequences import left_pad, length_batches, training_windows, user_sequences
from optirec.ml.train.splits import EvalSplit
from optirec.ml.train.validation import ndcg_at_10

Progress = Callable[[str], None]


@dataclass
class TrainResult:
    """The trained network (on the CPU, in eval mode), its best validation NDCG@10 and that epoch."""

    model: SequenceRecommender
    best_ndcg: float
    best_epoch: int
    seconds: float


class ContentTensors:
    """Content features as model inputs, with a zero row for the padding item: a sparse row-normalised
    token bag (n_items + 1, n_tokens + 1) and text vectors (n_items + 1, TEXT_DIM) or None."""

    def __init__(self, content: ContentFeatures, device: torch.device) -> None:
        tokens = np.concatenate([np.zeros((1, content.token_ids.shape[1]), np.int64), content.token_ids])
        rows, cols = np.nonzero(tokens)
        counts = np.maximum((tokens > 0).sum(axis=1), 1)
        values = (1.0 / counts[rows]).astype(np.float32)
        index = torch.from_numpy(np.stack([rows, tokens[rows, cols]]))
        shape = (tokens.shape[0], content.n_tokens + 1)
        bag = torch.sparse_coo_tensor(index, torch.from_numpy(values), shape, check_invariants=True)
        self.bag = bag.coalesce().to(device)
        self.text: torch.Tensor | None = None
        if content.has_text:
            zero = np.zeros((1, content.text.shape[1]), dtype=np.float32)
            self.text = torch.from_numpy(np.concatenate([zero, content.text])).to(device)


def pick_device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train_sequence_model(
    train: Interactions,
    content: ContentFeatures,
    config: ModelConfig,
    valid: EvalSplit | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Train on `train`; with `valid`, keep the weights of the best validation NDCG@10 and stop early."""
    threads = torch.get_num_threads()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    try:
        return _train(train, content, config, valid, progress)
    finally:
        torch.set_num_threads(threads)


def _train(
    train: Interactions,
    content: ContentFeatures,
    config: ModelConfig,
    valid: EvalSplit | None,
    progress: Progress | None,
) -> TrainResult:
    """The training loop proper (see `train_sequence_model`)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = pick_device()
    feats = ContentTensors(content, device)
    model = SequenceRecommender(config, train.n_items, content.n_tokens, content.has_text).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    items, actions = user_sequences(train)
    best = (-1.0, 0, copy.deepcopy(model.state_dict()))
    stale, start, epoch = 0, time.monotonic(), 0
    for epoch in range(1, config.epochs + 1):
        loss = _run_epoch(model, optimizer, feats, items, actions, rng)
        message = f"epoch {epoch}: loss {loss:.4f}"
        if valid is not None and (epoch % config.eval_every == 0 or epoch == config.epochs):
            ndcg = _validate(model, feats, items, actions, valid)
            message += f", valid ndcg@10 {ndcg:.4f}"
            best, stale = ((ndcg, epoch, copy.deepcopy(model.state_dict())), 0) if ndcg > best[0] else (best, stale + 1)
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
    feats: ContentTensors,
    items: list[IntArray],
    actions: list[IntArray],
    rng: np.random.Generator,
) -> float:
    """One pass over the users with at least two signals; returns the mean loss."""
    model.train()
    config = model.config
    device = feats.bag.device
    users = np.array([u for u, seq in enumerate(items) if seq.size >= 2], dtype=np.int64)
    total, steps = 0.0, 0
    for batch in length_batches(items, users, config.batch_size, rng):
        seq, act, target = training_windows(items, actions, batch, config.max_len, rng)
        keep = torch.from_numpy((rng.random(feats.bag.shape[0]) >= config.id_dropout).astype(np.float32))
        hidden, table = model(
            torch.from_numpy(seq).to(device), torch.from_numpy(act).to(device), feats.bag, feats.text, keep.to(device)
        )
        target_t = torch.from_numpy(target).to(device)
        real = target_t > 0  # only real positions are scored, to save compute
        loss = softmax_loss(hidden[real], table, target_t[real], config.negatives, rng)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        total, steps = total + float(loss.item()), steps + 1
    return total / max(steps, 1)


def softmax_loss(
    hidden: torch.Tensor, table: torch.Tensor, targets: torch.Tensor, negatives: int, rng: np.random.Generator
) -> torch.Tensor:
    """Cross-entropy of the next item: hidden (N, dim), table (n_items + 1, dim), targets (N,) 1-based.

    With `negatives` = 0 (or at least the catalogue size) the softmax runs over the whole catalogue; otherwise
    over the target plus `negatives` uniformly sampled items shared by the batch (a sampled softmax, for CPUs).
    """
    n_items = table.shape[0] - 1
    if negatives <= 0 or negatives >= n_items:
        return F.cross_entropy(hidden @ table[1:].T, targets - 1)  # (N, n_items) logits
    sampled = torch.from_numpy(rng.integers(1, n_items + 1, negatives)).to(hidden.device)  # (negatives,)
    positive = (hidden * table[targets]).sum(-1, keepdim=True)  # (N, 1)
    negative = (hidden @ table[sampled].T).masked_fill(sampled[None, :] == targets[:, None], -1e9)
    logits = torch.cat([positive, negative], dim=1)  # (N, 1 + negatives); the target is column 0
    return F.cross_entropy(logits, torch.zeros_like(targets))


@torch.no_grad()
def score_users(
    model: SequenceRecommender,
    feats: ContentTensors,
    items: list[IntArray],
    actions: list[IntArray],
    users: IntArray,
) -> npt.NDArray[np.float32]:
    """Network scores of every item for each user's latest signals, shape (len(users), n_items)."""
    model.eval()
    device = feats.bag.device
    length = max(1, min(model.config.max_len, max((items[u].size for u in users), default=1)))
    seq = torch.from_numpy(left_pad([items[u] for u in users], length)).to(device)
    act = torch.from_numpy(left_pad([actions[u] for u in users], length)).to(device)
    hidden, table = model(seq, act, feats.bag, feats.text)
    return np.asarray((hidden[:, -1] @ table[1:].T).cpu().numpy(), dtype=np.float32)


def _validate(
    model: SequenceRecommender,
    feats: ContentTensors,
    items: list[IntArray],
    actions: list[IntArray],
    valid: EvalSplit,
) -> float:
    """NDCG@10 of the network alone on the validation targets."""
    return ndcg_at_10(lambda users: score_users(model, feats, items, actions, users), valid)
