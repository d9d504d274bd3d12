"""The serving model: trained through the service entry point, saved, loaded in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optirec.errors import CorruptArtifact, InvalidInput, NotFound
from optirec.ml.evaluation.train_test import TrainOutput
from optirec.ml.model.served import ServedModel


def test_train_writes_an_artifact_with_metrics(trained: TrainOutput) -> None:
    assert trained.path.name == trained.version and (trained.path / "manifest.json").exists()
    assert 0.0 <= trained.metrics["test"]["ndcg@10"] <= 1.0


def test_a_fresh_process_loads_it(trained: TrainOutput) -> None:
    code = (
        "import sys; from pathlib import Path; from optirec.ml.model.served import ServedModel; "
        "m = ServedModel.load(Path(sys.argv[1])); print(m.version, len(m.item_ids))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(trained.path)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [trained.version, "24"]


def test_one_new_signal_changes_the_answer(trained: TrainOutput) -> None:
    model = ServedModel.load(trained.path)
    signals = [("i3", "view"), ("i4", "view")]
    before = model.score(signals)
    after = model.score([*signals, ("i5", "purchase")])
    assert before.shape == (24,) and not np.allclose(before, after)
    assert [i for i, _ in model.recommend(signals, k=3)] != [
        i for i, _ in model.recommend([*signals, ("i5", "purchase")], k=3)
    ]


def test_unknown_items_are_ignored_and_unknown_actions_refused(trained: TrainOutput) -> None:
    model = ServedModel.load(trained.path)
    assert np.allclose(model.score([("i3", "view"), ("nope", "view")]), model.score([("i3", "view")]))
    with pytest.raises(InvalidInput, match="unknown action type 'teleport'"):
        model.score([("i3", "teleport")])
    # The serving path skips a shop's own action types instead.
    items, actions = model.codes([("i3", "teleport"), ("i3", "view"), ("nope", "view")], skip_unknown_actions=True)
    assert (items.tolist(), actions.tolist()) == ([model.index["i3"]], [0])
    cold = model.score([])  # no signals: popularity backfill
    assert np.isfinite(cold).all()


def test_similar_items_and_complete_the_look(trained: TrainOutput) -> None:
    model = ServedModel.load(trained.path)
    similar = [i for i, _ in model.similar_items("i5", k=2)]
    assert len(similar) == 2 and "i5" not in similar
    look = [i for i, _ in model.complete_the_look(["i5", "i6"], k=3)]
    assert "i5" not in look and "i6" not in look and len(look) == 3
    with pytest.raises(NotFound):
        model.similar_items("nope")


def test_a_new_product_gets_a_content_vector(trained: TrainOutput) -> None:
    model = ServedModel.load(trained.path)
    vector = model.embed_new_item(["group=1"])
    assert vector.shape == (model.item_table.shape[1],) and np.abs(vector).sum() > 0
    grown = model.add_items([("new", ["group=1"], None)])
    assert grown.item_ids[-1] == "new" and grown.score([("i3", "view")]).shape == (25,)


def test_new_products_are_ranked_by_their_content_not_one_constant(trained: TrainOutput) -> None:
    """A product added from its attributes has no item-to-item relations (`cold`): its score is the network's for
    its content vector, so two new products of different attributes score apart, whatever the blend's weights,
    where the item-to-item source alone gave both the same constant."""
    model = ServedModel.load(trained.path)
    grown = model.add_items([("new0", ["group=0"], None), ("new2", ["group=2"], None)])
    assert grown.cold[-2:].all() and not grown.cold[: len(model.item_ids)].all()
    signals = [("i3", "view"), ("i6", "purchase")]
    rows = [grown.index["new0"], grown.index["new2"]]
    grown.weights = (1.0, 0.0)
    network = grown.score(signals)  # the network alone
    z = (network - network.mean()) / network.std()
    assert z[rows[0]] != z[rows[1]]
    for weights in ((0.0, 1.0), (1.0, 0.5)):
        grown.weights = weights
        assert np.allclose(grown.score(signals)[rows], (weights[0] + weights[1]) * z[rows], atol=1e-4)


def test_a_corrupted_artifact_is_refused(trained: TrainOutput, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(trained.path), str(copy)], check=True)
    blob = bytearray((copy / "item_index.npz").read_bytes())
    blob[200] ^= 0x01
    (copy / "item_index.npz").write_bytes(bytes(blob))
    with pytest.raises(CorruptArtifact):
        ServedModel.load(copy)


def test_the_serving_adapter_names_the_item_that_relates_most(trained: TrainOutput) -> None:
    from optirec.recommend.model_adapter import TrainedModel

    model = ServedModel.load(trained.path)
    adapter = TrainedModel(model, trained.version)
    items = ["i3", "nope", "i7"]
    targets = np.arange(24, dtype=np.int64)
    sources = adapter.strongest_sources(items, targets)
    assert model.item_item is not None
    dense = model.item_item.neighbours.toarray()
    rows = {0: model.item_ids.index("i3"), 2: model.item_ids.index("i7")}
    for target, source in zip(targets.tolist(), sources.tolist(), strict=True):
        strengths = {k: dense[row, target] for k, row in rows.items()}
        if max(strengths.values()) <= 0:
            assert source == -1
        else:
            assert source in rows and strengths[source] == max(strengths.values())
    related = adapter.related_scores(items)
    assert related is not None and np.allclose(related, dense[list(rows.values())].sum(axis=0), atol=1e-6)
    assert adapter.related_scores(["nope"]) is None


def test_a_history_encoded_lately_reuses_its_vector_and_a_new_signal_encodes_anew(trained: TrainOutput) -> None:
    model = ServedModel.load(trained.path)
    history = [("i0", "view"), ("i1", "view"), ("i2", "add_to_cart")]
    first = model.score(history)
    assert (model.user_vectors.hits, model.user_vectors.misses) == (0, 1)
    again = model.score(list(history))  # the same signals, asked again
    assert (model.user_vectors.hits, model.user_vectors.misses) == (1, 1)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(again, ServedModel.load(trained.path).score(history))  # as a cold model answers
    model.score([*history, ("i3", "view")])  # one signal more
    model.score([("i0", "view"), ("i1", "view"), ("i2", "view")])  # the same products, another action
    assert (model.user_vectors.hits, model.user_vectors.misses) == (1, 3)


def test_the_user_vector_cache_keeps_its_size_and_drops_the_oldest(trained: TrainOutput) -> None:
    from optirec.ml.model.index import UserVectorCache

    model, cache = ServedModel.load(trained.path), UserVectorCache(size=2)
    viewed = np.ones(1, dtype=np.int64)

    def encode(row: int) -> np.ndarray:
        return cache.vector(model.encoder, model.item_table, np.array([row], dtype=np.int64), viewed)

    for row in range(3):
        encode(row)
    np.testing.assert_array_equal(encode(2), model.encoder.encode(model.item_table[[2]], viewed))
    assert (cache.hits, cache.misses) == (1, 3)  # the newest was kept
    encode(0)
    assert (cache.hits, cache.misses) == (1, 4)  # the oldest was dropped
