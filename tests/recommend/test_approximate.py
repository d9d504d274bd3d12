"""A large catalog's candidates (`approximate.approximate_best`): the model's approximate index and the blend's best
without the model, then the exact blend on them. Never a product a hard filter forbids, the filter counts of the
exact pass, the search widened when the filters reject most candidates, and nearly the exact pass's products."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.ml.evaluation.train_test import TrainOutput, train
from optirec.ml.model.index import ItemIndex, Moments
from optirec.ml.model.network import ModelConfig
from optirec.ml.model.query import PersonalQuery
from optirec.ml.train.fit import FitConfig
from optirec.ml.train.inputs import EventsInput, ItemInput
from optirec.recommend.approximate import PersonalSource, SourceBlend, Standardised, _base, approximate_best
from optirec.recommend.candidates import blend_best
from optirec.recommend.model_adapter import load_live_model
from optirec.recommend.profile import ProfileGroups, ShopperProfile, attribute_shares
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListSpec
from optirec.runtime.state import AppState
from optirec.settings import Settings
from tests.conftest import signal_data
from tests.recommend.test_hard_filters_property import check_no_list_breaks_a_hard_filter, load_random_catalog

SIZE = 6000
RNG = np.random.default_rng(5)
CENTRES = RNG.normal(size=(60, 16))
TABLE = (CENTRES[RNG.integers(0, 60, SIZE)] + 0.4 * RNG.normal(size=(SIZE, 16))).astype(np.float32)
INDEX = ItemIndex(TABLE)
MOMENTS = Moments.of(TABLE)
EVERY = np.arange(SIZE, dtype=np.int64)


CODES = np.stack([RNG.integers(0, width, SIZE) for width in (4, 18, 12, 7, 14, 4, 3, 4, 5)]).astype(np.uint16)
GROUPS = ProfileGroups.of(CODES)


@dataclass(frozen=True)
class Fit:
    """Fit scores by class (`approximate.FitScores`): here, 40 classes of frames."""

    class_fit: np.ndarray
    class_of: np.ndarray

    @classmethod
    def random(cls, rng: np.random.Generator) -> Fit:
        return cls(rng.random(40), rng.integers(0, 40, SIZE).astype(np.int32))

    def fit_at(self, positions: np.ndarray) -> np.ndarray:
        return self.class_fit[self.class_of[positions]]


def _arguments(allowed: np.ndarray, user: np.ndarray, profile: bool) -> tuple[dict[str, object], dict[str, object]]:
    """The same list's arguments for `approximate_best` and for the exact pass (`blend_best`)."""
    rng = np.random.default_rng(int(allowed.sum()))
    query = PersonalQuery.of(
        TABLE, user.astype(np.float32), None, (1.0, 0.0), MOMENTS, INDEX, np.zeros(0, dtype=np.bool_)
    )
    popularity, fit = rng.normal(size=SIZE), Fit.random(rng)
    shared = {"popularity": popularity, "segment": None, "popularity_weight": 0.25, "fit_weight": 0.5,
              "allowed": allowed, "k": 60}  # fmt: skip
    shopper = None
    extra = None
    if profile:
        shares = attribute_shares(CODES, np.ones(SIZE, dtype=np.bool_))
        shopper = ShopperProfile.of(GROUPS, CODES, shares, rng.integers(0, SIZE, 30))
        values = shopper.everywhere()[allowed]
        extra = (shopper.everywhere() - values.mean()) / values.std() * 2.0
    approximate = shared | {"profile": shopper, "profile_weight": 2.0, "fit": fit,
                            "sources": ((PersonalSource(query, EVERY, EVERY), 1.0), (None, 1.0))}  # fmt: skip
    exact = shared | {"fit": fit.fit_at(EVERY), "extra": extra, "sources": ((query.at(EVERY), 1.0), (None, 1.0))}
    return approximate, exact


@settings(max_examples=25, deadline=None)
@given(share=st.floats(0.15, 1.0), seed=st.integers(0, 10_000), profile=st.booleans())
def test_the_candidates_are_allowed_and_nearly_the_exact_ones(share: float, seed: int, profile: bool) -> None:
    """Never a forbidden product; at least 90 % of the exact pass's best 60, and where the filters reject most of
    the index's first candidates (down to 15 % allowed), the widened search still answers."""
    rng = np.random.default_rng(seed)
    allowed = rng.random(SIZE) < share
    approximate, exact = _arguments(allowed, TABLE[seed % SIZE] + 0.2 * rng.normal(size=16), profile)
    found = approximate_best(**approximate)  # type: ignore[arg-type]
    assert found is not None
    best, _ = found
    truth, _ = blend_best(**exact)  # type: ignore[arg-type]
    assert best.size == 60 and allowed[best].all()
    assert len(set(best.tolist()) & set(truth.tolist())) >= 54


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), profile=st.booleans())
def test_the_blend_asked_again_reads_the_candidates_values(seed: int, profile: bool) -> None:
    """The blend `approximate_best` answers with gives, at its best products and at any other products (exploration
    draws outside the candidates), exactly what the blend itself computes there."""
    rng = np.random.default_rng(seed)
    allowed = rng.random(SIZE) < 0.6
    approximate, _ = _arguments(allowed, TABLE[seed % SIZE], profile)
    found = approximate_best(**approximate)  # type: ignore[arg-type]
    assert found is not None
    best, computed = found
    outside = np.setdiff1d(np.flatnonzero(allowed), computed.positions)[:5]
    for positions in (best, best[::-1][:12], np.concatenate([best[:7], outside]), outside, best[:0]):
        for mine, truth in zip(computed.at(positions), computed.blend.at(positions), strict=True):
            assert np.array_equal(mine, truth)


@settings(max_examples=40, deadline=None)
@given(
    share=st.floats(0.0, 1.0), seed=st.integers(0, 10_000), count=st.integers(1, 300), segment=st.booleans(),
    profile=st.booleans(), columns=st.sampled_from([9, 5, 2]),
)  # fmt: skip
def test_the_best_without_the_model_are_exactly_the_whole_catalogs(
    share: float, seed: int, count: int, segment: bool, profile: bool, columns: int
) -> None:
    """`_base` (one pass, a buffer trimmed by a selection, the profile and fit read by code and class) finds exactly
    the products, in the same order, that the whole catalog's pass without model sources finds from the profile and
    fit written out; with the profile's columns in three groups, two or one (padded to three)."""
    codes = CODES[:columns]
    groups = ProfileGroups.of(codes)
    assert len(groups.columns) == {9: 3, 5: 2, 2: 1}[columns]
    rng = np.random.default_rng(seed)
    allowed = rng.random(SIZE) < share
    popularity, fit = rng.normal(size=SIZE), Fit.random(rng)
    segments = rng.normal(size=SIZE) if segment else None
    extra, written = None, None
    if profile:
        shares = attribute_shares(codes, np.ones(SIZE, dtype=np.bool_))
        shopper = ShopperProfile.of(groups, codes, shares, rng.integers(0, SIZE, 20))
        everywhere = shopper.everywhere()
        mean, scale = float(everywhere.mean()), 10.0 / float(everywhere.std())
        extra, written = Standardised(shopper, mean, scale), (everywhere - mean) * scale
    blend = SourceBlend(popularity, segments, 0.25, fit, 0.5, extra, allowed, (), np.zeros((0, 3)))
    found = _base(blend, count)
    truth, _ = blend_best(popularity=popularity, segment=segments, popularity_weight=0.25, fit=fit.fit_at(EVERY),
                          fit_weight=0.5, allowed=allowed, sources=((None, 0.0),), k=count, extra=written)  # fmt: skip
    assert found.tolist() == truth.tolist()


@settings(max_examples=40, deadline=None)
@given(share=st.floats(0.05, 1.0), seed=st.integers(0, 10_000), count=st.integers(1, 300), levels=st.integers(1, 4))
def test_the_best_without_the_model_break_many_ties_as_the_whole_catalogs_pass(
    share: float, seed: int, count: int, levels: int
) -> None:
    """Values with many ties (popularity of a few levels, one fit for every class): the buffer's trims keep the
    lower positions among products equal to the k-th best, as the whole catalog's pass does."""
    rng = np.random.default_rng(seed)
    allowed = rng.random(SIZE) < share
    popularity = rng.integers(0, levels, SIZE).astype(np.float64)
    fit = Fit(np.full(40, 0.5), rng.integers(0, 40, SIZE).astype(np.int32))
    blend = SourceBlend(popularity, None, 0.25, fit, 0.5, None, allowed, (), np.zeros((0, 3)))
    truth, _ = blend_best(popularity=popularity, segment=None, popularity_weight=0.25, fit=fit.fit_at(EVERY),
                          fit_weight=0.5, allowed=allowed, sources=((None, 0.0),), k=count, extra=None)  # fmt: skip
    assert _base(blend, count).tolist() == truth.tolist()


def test_too_few_allowed_products_take_the_exact_pass() -> None:
    """The filters let through fewer products than the list wants, or so few that the search would have to cover
    more than a quarter of the catalog: no approximate answer (the list builder then takes the exact pass)."""
    for share in (0.005, 0.02):
        allowed = np.random.default_rng(1).random(SIZE) < share
        approximate, _ = _arguments(allowed, TABLE[0], profile=False)
        assert approximate_best(**approximate) is None  # type: ignore[arg-type]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app's model watcher looks once, at start: the model the test swaps in stays."""
    return settings.model_copy(update={"model_poll_seconds": 0.0})


@pytest.fixture
def trained_model(tmp_path: Path) -> object:
    output = train_chain_model(tmp_path)
    return load_live_model(output.path, output.version)


def train_chain_model(folder: Path) -> TrainOutput:
    """A small model trained on the random catalog's ids (shoppers walk a chain of products), in `folder`."""
    ids = [f"P{i:03d}" for i in range(60)]
    users, items, actions, times = [], [], [], []
    for user in range(80):
        start = user % 60
        for step in range(6):
            users.append(f"u{user}")
            items.append(ids[(start + step) % 60])
            actions.append("purchase" if step == 5 else "view")
            times.append(1_700_000_000 + step * 86_400 + user)
    config = FitConfig(model=ModelConfig(dim=16, max_len=10, epochs=3, batch_size=32, negatives=0, eval_every=3),
                       lam_grid=(10.0,), neighbours=5)  # fmt: skip
    catalogue = [ItemInput(i, attributes={"group": str(k % 4)}) for k, i in enumerate(ids)]
    return train(EventsInput(users, items, actions, times), catalogue, config, folder)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_lists_on_the_approximate_path_keep_the_filters_and_their_counts(
    client: TestClient, state: AppState, service_headers: dict[str, str], trained_model: object
) -> None:
    """The approximate path forced on a small catalog (`approximate_from` 1) with a trained model: the filter
    counts, fallbacks and list lengths of the exact pass, and no list breaks a hard filter."""
    catalog = load_random_catalog(client, service_headers)
    builder = state.list_builder
    serving = builder.serving_state
    rng = random.Random(3)
    ids = sorted(catalog)
    views = [signal_data(customer_id=f"c{k}", product_id=rng.choice(ids)) for k in range(5) for _ in range(4)]
    assert client.post("/api/recommendations/signals", json=views, headers=service_headers).status_code < 300
    for round_ in range(30):
        context = [rng.choice(ids)] if round_ % 3 == 0 else []
        spec = ListSpec(
            "similar" if context else "home", f"c{round_ % 5}", None, rng.randint(1, 12),
            RecommendationFilters(category=rng.choice([None, "eyeglasses"]), price_max=rng.choice([None, 150])),
            exclude=rng.sample(ids, 3), context_items=context, diversity=rng.random(),
        )  # fmt: skip
        answers = []
        for approximate_from in (1, 0):
            serving.approximate_from = approximate_from
            serving.swap_model(trained_model)  # type: ignore[arg-type]  # (the app's model watcher finds none)
            answers.append(asyncio.run(builder.preview_async(spec)))
        fast, exact = answers
        assert (fast.filtered, fast.fallback_reason, len(fast.items)) == (
            exact.filtered, exact.fallback_reason, len(exact.items),
        )  # fmt: skip
    serving.approximate_from = 1
    serving.swap_model(trained_model)  # type: ignore[arg-type]
    check_no_list_breaks_a_hard_filter(client, service_headers, catalog)
    assert serving.model is trained_model
    assert "item_index" in vars(trained_model._model)  # type: ignore[attr-defined]  # the index answered
