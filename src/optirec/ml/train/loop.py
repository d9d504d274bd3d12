"""Training our sequence model: full softmax cross-entropy over the catalogue at every real position.

Deterministic under `ModelConfig.seed`; reports progress through a callback; uses a GPU when present.
Early stopping watches NDCG@10 on the validation targets, never the test targets.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from optirec.arrays import IntArray
from optirec.ml.model.content import ContentFeatures
from optirec.ml.model.network import ModelConfig, SequenceRecommender
from optirec.ml.train.data import Interactions
from optirec.ml.train.loss import softmax_loss
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
    checks = None if valid is None else ValidationChecks(valid, feats, items, actions, config.patience, progress)
    if checks is not None:
        checks.best_state = copy.deepcopy(model.state_dict())  # kept if no check is ever scored
    start, epoch = time.monotonic(), 0
    try:
        for epoch in range(1, config.epochs + 1):
            loss = _run_epoch(model, optimizer, feats, items, actions, rng)
            if progress is not None:
                progress(f"epoch {epoch}: loss {loss:.4f}")
            if checks is not None:
                if epoch % config.eval_every == 0 or epoch == config.epochs:
                    checks.submit(epoch, model)
                checks.collect(wait=False)
                if checks.stop:
                    break
            if time.monotonic() - start > config.max_seconds:
                break
        if checks is not None:
            checks.collect(wait=True)
    finally:
        if checks is not None:
            checks.close()
    if checks is not None:
        model.load_state_dict(checks.best_state)
    model.eval()
    best = (checks.best_ndcg, checks.best_epoch) if checks is not None else (-1.0, epoch)
    return TrainResult(model.cpu(), best[0], best[1], time.monotonic() - start)


class ValidationChecks:
    """Early stopping on validation NDCG@10, each check scored on a second thread from a copy of the weights while
    the next epochs train (on two cores, the checks cost the training no time).

    Results are taken in epoch order and a check after the one that exhausts `patience` is ignored, so the chosen
    epoch and weights are the ones checking in line would choose; the stop comes as soon as that check is scored
    (usually one epoch later)."""

    def __init__(
        self,
        valid: EvalSplit,
        feats: ContentTensors,
        items: list[IntArray],
        actions: list[IntArray],
        patience: int,
        progress: Progress | None,
    ) -> None:
        self.valid, self.feats, self.items, self.actions = valid, feats, items, actions
        self.patience, self.progress = patience, progress
        self.pool = ThreadPoolExecutor(1)
        self.pending: list[tuple[int, SequenceRecommender, Future[float]]] = []
        self.best_ndcg, self.best_epoch, self.best_state = -1.0, 0, dict[str, torch.Tensor]()
        self.stale = 0

    @property
    def stop(self) -> bool:
        return self.stale >= self.patience

    def submit(self, epoch: int, model: SequenceRecommender) -> None:
        """Score a copy of the weights after `epoch`; the model trains on meanwhile."""
        snapshot = copy.deepcopy(model)
        threads = torch.get_num_threads()
        self.pending.append((epoch, snapshot, self.pool.submit(self._score, snapshot, threads)))

    def _score(self, snapshot: SequenceRecommender, threads: int) -> float:
        torch.set_num_threads(threads)  # the training's thread count, in this thread too
        return _validate(snapshot, self.feats, self.items, self.actions, self.valid)

    def collect(self, wait: bool) -> None:
        """Take the scored checks in epoch order (all of them with `wait`), keeping the best weights."""
        while self.pending and (wait or self.pending[0][2].done()):
            epoch, snapshot, result = self.pending.pop(0)
            ndcg = result.result()
            if self.stop:
                continue  # training stopped at an earlier check: this one would not have run
            if self.progress is not None:
                self.progress(f"epoch {epoch}: valid ndcg@10 {ndcg:.4f}")
            if ndcg > self.best_ndcg:
                self.best_ndcg, self.best_epoch, self.stale = ndcg, epoch, 0
                self.best_state = copy.deepcopy(snapshot.state_dict())
            else:
                self.stale += 1

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


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
