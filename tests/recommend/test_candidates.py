"""The list's candidates in one compiled pass (`candidates.blend_best`): the same products and scores as the whole
catalog's blend and top-k (`blend_catalog`), on tiny arrays whose answer is known, on random ones, and through the
list builder, where no list breaks a hard filter either way."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.recommend.candidates import KNOWN_BONUS, blend_best, blend_catalog
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListBuilder, ListSpec, ServedList
from optirec.runtime.state import AppState
from tests.conftest import signal_data
from tests.recommend.test_hard_filters_property import check_no_list_breaks_a_hard_filter, load_random_catalog


def _blend(**overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "popularity": np.array([1.0, 0.0, 2.0, 0.0, -1.0]),
        "segment": None,
        "popularity_weight": 1.0,
        "fit": np.zeros(5),
        "fit_weight": 0.5,
        "allowed": np.array([True, True, False, True, True]),
        "sources": [(None, 1.0), (None, 1.0)],
        "k": 3,
    }
    return arguments | overrides


def test_the_best_allowed_products_come_first_and_ties_go_to_the_lower_position() -> None:
    best, blend = blend_best(**_blend())  # type: ignore[arg-type]
    assert best.tolist() == [0, 1, 3]  # 2 is the most popular but not allowed; 1 and 3 tie
    total, known, order = blend.at(best)
    assert total.tolist() == [1.0, 0.0, 0.0] and not known.any() and order.tolist() == total.tolist()


def test_a_product_a_model_source_knows_ranks_above_those_none_knows() -> None:
    personal = np.array([np.nan, np.nan, 5.0, np.nan, 1.0])  # standardised over the allowed it knows: 4 alone
    best, blend = blend_best(**_blend(sources=[(personal, 1.0), (None, 1.0)]))  # type: ignore[arg-type]
    assert best.tolist() == [4, 0, 1]
    total, known, order = blend.at(best)
    assert known.tolist() == [True, False, False]
    assert total[0] == -1.0  # one known product: its standardised score is 0
    assert order[0] == -1.0 + KNOWN_BONUS


def test_fewer_allowed_than_asked_gives_them_all() -> None:
    best, _ = blend_best(**_blend(k=10))  # type: ignore[arg-type]
    assert best.tolist() == [0, 1, 3, 4]
    none, _ = blend_best(**_blend(allowed=np.zeros(5, dtype=bool)))  # type: ignore[arg-type]
    assert none.size == 0


def _source(rng: np.random.Generator, size: int, known: float) -> np.ndarray | None:
    if known == 0.0:
        return None
    values = np.round(rng.normal(size=size), 1)  # rounded: many ties
    values[rng.random(size) > known] = np.nan
    return values


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(1, 200),
    share=st.floats(0.0, 1.0),
    segment=st.booleans(),
    profile=st.booleans(),
    known=st.tuples(st.sampled_from([0.0, 0.3, 1.0]), st.sampled_from([0.0, 0.5, 1.0])),
    k=st.integers(1, 80),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_compiled_pass_gives_the_whole_catalogs_candidates_and_scores(
    size: int, share: float, segment: bool, profile: bool, known: tuple[float, float], k: int, seed: int
) -> None:
    """Property: whatever the catalog, the filters, the sources (the attribute profile's term among them) and their
    ties, the same candidates in the same order, all allowed, and the same blend to the bit, there and at any other
    allowed product."""
    rng = np.random.default_rng(seed)
    arguments = {
        "popularity": np.round(rng.normal(size=size), 1),
        "segment": np.round(rng.normal(size=size), 1) if segment else None,
        "popularity_weight": 0.25,
        "fit": np.round(rng.random(size), 1),
        "fit_weight": 0.5,
        "allowed": rng.random(size) < share,
        "sources": [(_source(rng, size, known[0]), 1.0), (_source(rng, size, known[1]), 1.0)],
        "k": k,
        "extra": np.round(rng.normal(size=size) * 10, 1) if profile else None,
    }
    fast, fast_blend = blend_best(**arguments)  # type: ignore[arg-type]
    whole, whole_blend = blend_catalog(**arguments)  # type: ignore[arg-type]
    assert fast.tolist() == whole.tolist()
    assert arguments["allowed"][fast].all()  # type: ignore[index]
    probe = np.flatnonzero(arguments["allowed"])  # type: ignore[arg-type]
    for ours, theirs in zip(fast_blend.at(probe), whole_blend.at(probe), strict=True):
        assert np.array_equal(ours, theirs)


class _Model:
    """A model that knows two thirds of the catalog, with fixed scores per product."""

    def __init__(self, ids: Sequence[str]) -> None:
        self._ids = [p for i, p in enumerate(sorted(ids)) if i % 3]
        self._scores = np.random.default_rng(3).normal(size=len(self._ids)).astype(np.float32)

    version = "fake-1"

    @property
    def item_ids(self) -> Sequence[str]:
        return self._ids

    def personal_scores(self, history: Sequence[tuple[str, str]], *, warm_up: bool = False) -> np.ndarray | None:
        return self._scores + np.float32(len(history)) * 0.01 if history else None

    def related_scores(self, items: Sequence[str]) -> np.ndarray | None:
        return np.roll(self._scores, len(items))

    def strongest_sources(self, items: Sequence[str], targets: np.ndarray) -> np.ndarray:
        return np.full(targets.size, -1 if not items else 0, dtype=np.int64)


def _both_ways(builder: ListBuilder, spec: ListSpec, model: _Model) -> tuple[ServedList, ServedList]:
    """The list built by the compiled pass and by the whole catalog's blend, both with `model`. The app's model watcher
    finds no live version and puts popularity back at each poll: a pair it raced is built again."""
    for _ in range(5):
        answers = []
        for candidates in (True, False):
            builder.candidates = candidates
            builder.serving_state.swap_model(model)  # type: ignore[arg-type]
            answers.append(asyncio.run(builder.preview_async(spec)))
        if all(a.model_version == model.version for a in answers):
            break
    return answers[0], answers[1]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_list_builder_answers_the_same_lists_either_way(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    """Personal and similar lists over random shoppers, requests and a model that does not know every product:
    the compiled pass and the whole catalog's blend answer the same products, scores, reasons and filter counts,
    and no list breaks a hard filter."""
    catalog = load_random_catalog(client, service_headers)
    builder = state.list_builder
    model = _Model(list(catalog))
    rng = random.Random(7)
    ids = sorted(catalog)
    views = [signal_data(customer_id=f"c{k}", product_id=rng.choice(ids)) for k in range(5) for _ in range(4)]
    assert client.post("/api/recommendations/signals", json=views, headers=service_headers).status_code < 300
    personal = 0
    for round_ in range(40):
        context = [rng.choice(ids)] if round_ % 2 else []
        price = rng.choice([None, 80, 200])
        spec = ListSpec(
            "similar" if context else "home", f"c{round_ % 5}", None, rng.randint(1, 30),
            RecommendationFilters(category=rng.choice([None, "eyeglasses"]), price_max=price),
            exclude=rng.sample(ids, 3), context_items=context, diversity=rng.random(),
        )  # fmt: skip
        builder.serving_state.swap_model(model)  # type: ignore[arg-type]  # (the app's model watcher finds none)
        personal += builder.serving_state.score(builder.serving_state.snapshots.get(), model,  # type: ignore[arg-type]
            asyncio.run(state.db.read_shopper(customer_id=spec.customer_id, session_id=None)).history, [],
        ).personal is not None  # fmt: skip
        fast, whole = _both_ways(builder, spec, model)
        assert fast.model_version == whole.model_version == model.version
        assert [(i.position, i.score, i.reasons) for i in fast.items] == [
            (i.position, i.score, i.reasons) for i in whole.items
        ]
        assert (fast.filtered, fast.fallback, fast.fallback_reason) == (
            whole.filtered, whole.fallback, whole.fallback_reason,
        )  # fmt: skip
    assert personal > 10  # the personal source took part, not only popularity and fit
    builder.candidates = True
    check_no_list_breaks_a_hard_filter(client, service_headers, catalog)
