"""The shopper's attribute profile (`recommend.profile`) on tiny catalogues whose answer is known."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.recommend.profile import (
    ProfileGroups,
    ShopperProfile,
    attribute_codes,
    attribute_profile,
    attribute_shares,
)

# four frames: (shape, material) and a price each
VALUES = [["round", "acetate"], ["Round", "metal"], ["square", "acetate"], ["square", None]]
PRICES = np.array([50.0, 100.0, 150.0, 200.0])


def test_codes_equal_text_equal_code_and_missing_is_zero() -> None:
    codes = attribute_codes(VALUES, PRICES)
    assert codes.shape == (3, 4)  # two columns and the price band, by four products
    assert codes[0, 0] == codes[0, 1] != codes[0, 2] == codes[0, 3]  # "round" and "Round" alike
    assert codes[1, 3] == 0 and codes[1, 0] == codes[1, 2] > 0
    assert list(codes[2]) == sorted(codes[2]) and codes[2, 0] < codes[2, 3]  # cheaper, lower band


def test_no_signals_no_opinion() -> None:
    codes = attribute_codes(VALUES, PRICES)
    shares = attribute_shares(codes, np.ones(4, dtype=np.bool_))
    assert not attribute_profile(codes, shares, np.zeros(0, dtype=np.int64)).any()


def test_signals_on_round_acetate_rank_it_first_and_square_metal_last() -> None:
    codes = attribute_codes(VALUES, PRICES)
    shares = attribute_shares(codes, np.ones(4, dtype=np.bool_))
    score = attribute_profile(codes, shares, np.array([0, 0, 0]), prior=1.0)
    assert int(np.argmax(score)) == 0
    assert score[1] > score[3] and score[2] > score[3]  # each shares one liked value with product 0


def test_the_lift_of_one_column_by_hand() -> None:
    codes = np.array([[1, 1, 2, 2]], dtype=np.uint16)  # one column: half the catalogue each
    shares = attribute_shares(codes, np.ones(4, dtype=np.bool_))
    score = attribute_profile(codes, shares, np.array([0, 1, 0]), prior=2.0)
    # value 1: (3 signals + 2 × 0.5) / ((3 + 2) × 0.5); value 2: (0 + 1) / 2.5
    assert math.isclose(score[0], math.log(4.0 / 2.5)) and math.isclose(score[2], math.log(1.0 / 2.5))


def test_shares_count_only_the_given_products_and_are_never_zero() -> None:
    codes = np.array([[1, 1, 2]], dtype=np.uint16)
    shares = attribute_shares(codes, np.array([True, True, False]))
    assert shares[0, 1] == 1.0 and shares[0, 2] > 0.0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), signals=st.integers(1, 60))
def test_a_profile_asked_at_some_positions_scores_what_the_whole_pass_scores(seed: int, signals: int) -> None:
    rng = np.random.default_rng(seed)
    n = 500
    codes = np.stack([rng.integers(0, width, n) for width in (3, 12, 7, 5, 1)]).astype(np.uint16)
    shares = attribute_shares(codes, np.ones(n, dtype=np.bool_))
    history = rng.integers(0, n, signals)
    profile = ShopperProfile.of(ProfileGroups.of(codes), codes, shares, history)
    everywhere = profile.everywhere()
    assert np.array_equal(everywhere, attribute_profile(codes, shares, history))
    picked = rng.integers(0, n, 50)
    assert np.array_equal(profile.at(picked), everywhere[picked])
    # each product's score is its columns' lifts summed, whichever groups hold them
    lifts = np.log((np.array([np.bincount(c[history], minlength=shares.shape[1]) for c in codes]) + 10.0 * shares)
                   / ((history.size + 10.0) * shares))  # fmt: skip
    assert np.allclose(everywhere, sum(lifts[c, codes[c]] for c in range(codes.shape[0])))


def test_columns_are_grouped_up_to_a_table_of_combinations() -> None:
    """Columns of 40 × 50 × 3 values pack as (40, 50) and (3); one column wider than a table stands alone."""
    rng = np.random.default_rng(2)
    codes = np.stack([rng.integers(0, w, 300) for w in (40, 50, 3, 5000, 2)]).astype(np.uint16)
    codes[:, 0] = [39, 49, 2, 4999, 1]  # every width reached
    groups = ProfileGroups.of(codes)
    assert groups.columns == ((0, 1), (2,), (3,), (4,))
    assert groups.codes[0, 0] == 39 * 50 + 49 and groups.codes[2, 0] == 4999
    shares = attribute_shares(codes, np.ones(300, dtype=np.bool_))
    profile = ShopperProfile.of(groups, codes, shares, np.array([0, 1, 2]))
    assert np.allclose(profile.everywhere(), attribute_profile(codes, shares, np.array([0, 1, 2])))
