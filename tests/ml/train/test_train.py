"""Training our network: determinism under a seed, learning a known pattern, numpy inference parity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from optirec.ml.model.content import ContentFeatures, ItemContent, build_content
from optirec.ml.model.index import UserEncoderNumpy
from optirec.ml.model.kernels import _tanh
from optirec.ml.model.network import ModelConfig, UserEncoder
from optirec.ml.train.data import Interactions
from optirec.ml.train.loop import ContentTensors, train_sequence_model
from optirec.ml.train.splits import leave_one_out

TINY = ModelConfig(dim=16, max_len=10, epochs=2, batch_size=16, negatives=8, eval_every=1, dropout=0.1)


def _content(data: Interactions) -> ContentFeatures:
    tokens = {item: [f"group{int(item[1:]) % 3}"] for item in data.item_ids}
    return build_content(data.item_ids, ItemContent(tokens=tokens), cache_dir=None)


def test_same_seed_same_weights(chain_data: Interactions) -> None:
    valid, _ = leave_one_out(chain_data)
    content = _content(chain_data)
    first = train_sequence_model(valid.train, content, TINY, valid).model.state_dict()
    second = train_sequence_model(valid.train, content, TINY, valid).model.state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_network_learns_the_chain(chain_data: Interactions) -> None:
    valid, _ = leave_one_out(chain_data)
    config = ModelConfig(dim=32, max_len=10, epochs=40, batch_size=16, negatives=0, lr=1e-2, eval_every=5, dropout=0.1)
    result = train_sequence_model(valid.train, _content(chain_data), config, valid)
    assert result.best_ndcg > 0.5  # the next item is determined by the last one


def test_numpy_encoder_matches_torch(chain_data: Interactions) -> None:
    valid, _ = leave_one_out(chain_data)
    content = _content(chain_data)
    model = train_sequence_model(valid.train, content, TINY).model
    feats = ContentTensors(content, torch.device("cpu"))
    seq = torch.tensor([[0, 0, 3, 4, 5, 6]])
    actions = torch.tensor([[0, 0, 1, 1, 5, 1]])
    with torch.no_grad():
        hidden, table = model(seq, actions, feats.bag, feats.text)
    weights = {k: v.numpy() for k, v in model.user.state_dict().items()}
    encoder = UserEncoderNumpy(weights, TINY.layers, TINY.heads, TINY.max_len)
    vector = encoder.encode(table[seq[0, 2:]].numpy(), actions[0, 2:].numpy())
    assert np.allclose(vector, hidden[0, -1].numpy(), atol=1e-4)


@pytest.mark.parametrize(("heads", "layers", "length"), [(1, 2, 1), (1, 2, 10), (2, 1, 7), (4, 3, 10), (2, 2, 13)])
def test_compiled_encoder_matches_torch(heads: int, layers: int, length: int) -> None:
    """The serving encoder (compiled) against torch's, across head and layer counts and history lengths; a history
    longer than `max_len` is cut to its newest signals."""
    torch.manual_seed(heads * 10 + layers)
    config = ModelConfig(dim=16, max_len=10, heads=heads, layers=layers, dropout=0.0)
    encoder = UserEncoder(config).eval()
    with torch.no_grad():  # trained weights are not at their initial values: biases, norms and all
        for parameter in encoder.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    vectors = torch.randn(1, length, config.dim)
    actions = torch.randint(1, config.n_actions + 1, (1, length))
    kept = min(length, config.max_len)
    with torch.no_grad():
        expected = encoder(vectors[:, -kept:], actions[:, -kept:])[0, -1].numpy()
    weights = {k: v.numpy() for k, v in encoder.state_dict().items()}
    served = UserEncoderNumpy(weights, layers, heads, config.max_len)
    assert np.allclose(served.encode(vectors[0].numpy(), actions[0].numpy()), expected, atol=1e-4)


def test_content_vocabulary_drops_tokens_of_a_single_item() -> None:
    content = build_content(["a", "b"], ItemContent(tokens={"a": ["x", "y"], "b": ["x"]}), cache_dir=None)
    assert content.vocabulary == ["x"] and content.token_ids.tolist()[0][:2] == [1, 0]
    assert not content.has_text


def test_the_compiled_tanh_is_maths_tanh() -> None:
    """The encoder's GELU takes tanh from one exponential (`kernels._tanh`): the same values as `math.tanh`, to float64
    rounding, across zero, tiny and saturating arguments, both signs."""
    values = [0.0, -0.0, 1e-300, 1e-12, 1e-6, 0.01, 0.5, 1.0, 3.0, 9.5, 20.0, 25.0, 400.0, 1e300, math.inf]
    for value in values + [-v for v in values] + list(np.linspace(-6, 6, 2001)):
        assert math.isclose(_tanh(value), math.tanh(value), rel_tol=4e-16, abs_tol=1e-300), value
    assert math.isnan(_tanh(math.nan))


def test_validation_checks_choose_as_checking_in_line(chain_data: Interactions) -> None:
    """The checks are scored on a second thread: still reported in epoch order, none after the one that exhausts
    the patience, and the best epoch is the first best of those reported."""
    valid, _ = leave_one_out(chain_data)
    config = ModelConfig(dim=16, max_len=10, epochs=60, batch_size=16, negatives=8, lr=3e-2, eval_every=2, patience=2)
    messages: list[str] = []
    result = train_sequence_model(valid.train, _content(chain_data), config, valid, messages.append)
    checks = [(int(m.split()[1][:-1]), float(m.split()[-1])) for m in messages if "valid ndcg@10" in m]
    assert [epoch for epoch, _ in checks] == list(range(2, 2 * len(checks) + 1, 2))
    scores = [ndcg for _, ndcg in checks]
    best = int(np.argmax(scores))
    assert (result.best_epoch, round(result.best_ndcg, 4)) == (checks[best][0], scores[best])
    assert checks[-1][0] < config.epochs  # it stopped early
    assert len(checks) - 1 - best == config.patience  # stopped at the check that ran out
    trained = [int(m.split()[1][:-1]) for m in messages if "loss" in m]
    assert trained == list(range(1, len(trained) + 1)) and trained[-1] >= checks[-1][0]
