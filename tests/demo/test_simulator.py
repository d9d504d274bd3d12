"""The shopper simulator: deterministic, a funnel in published e-commerce ranges, rules respected, seasonality."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from optirec.demo.evaluate import read_events
from optirec.demo.shop import DemoShopFiles, World, generate_demo_shop
from optirec.ml.model.actions import ACTION_CODE
from optirec.ml.train.data import read_events_csv


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path, small_shop: DemoShopFiles) -> None:
    again = generate_demo_shop(tmp_path / "a", seed=11, products=300, customers=600, days=30, events=60_000,
                               progress=False)  # fmt: skip
    for name in ("products", "customers", "events"):
        assert digest(getattr(again, name)) == digest(getattr(small_shop, name))
    other = generate_demo_shop(tmp_path / "b", seed=12, products=300, customers=600, days=30, events=60_000,
                               progress=False)  # fmt: skip
    assert digest(other.events) != digest(small_shop.events)


def test_events_are_in_the_uniform_format_read_by_the_ml_reader(small_shop: DemoShopFiles) -> None:
    interactions, _ = read_events_csv(small_shop.events)
    assert len(interactions) == small_shop.n_events >= 60_000
    header = small_shop.events.read_text(encoding="utf-8").splitlines()[:2]
    assert header[0] == "user_id,item_id,action,timestamp"
    assert datetime.strptime(header[1].split(",")[3], "%Y-%m-%dT%H:%M:%SZ")


def test_funnel_in_published_ranges(small_shop: DemoShopFiles) -> None:
    manifest = json.loads(small_shop.manifest.read_text(encoding="utf-8"))
    actions, sessions = manifest["actions"], manifest["sessions"]
    assert 0.003 < actions["add_to_cart"] / actions["view"] < 0.015  # product view → cart
    abandonment = 1 - actions["purchase"] / actions["add_to_cart"]
    assert 0.6 < abandonment < 0.8  # Baymard: ~70% of carts abandoned
    assert 0.01 < actions["purchase"] / sessions < 0.04  # session conversion 1–4%
    assert 0 < actions["remove_from_cart"] < actions["add_to_cart"] - actions["purchase"]
    assert 0.3 < manifest["returning_sessions"] / sessions < 1.0


def test_nothing_bought_fails_a_hard_rule(small_shop: DemoShopFiles, small_world: World) -> None:
    events = read_events(small_shop.events, [c.id for c in small_world.customers],
                         [p.id for p in small_world.products])  # fmt: skip
    bought = events.actions == ACTION_CODE["purchase"]
    assert bought.sum() > 50
    assert small_world.ok[events.users[bought], events.items[bought]].all()
    assert not small_world.ok.all()  # the rules do refuse something


def test_weekly_seasonality_and_evening_peak(small_shop: DemoShopFiles, small_world: World) -> None:
    events = read_events(small_shop.events, [c.id for c in small_world.customers],
                         [p.id for p in small_world.products])  # fmt: skip
    times = events.times
    days, per_day = np.unique(times // 86_400, return_counts=True)
    weekday = (days + 3) % 7  # Monday = 0
    mean = np.array([per_day[weekday == d].mean() for d in range(7)])
    assert mean[6] > mean[4] and mean[0] > mean[5]  # Sunday above Friday, Monday above Saturday
    hours = np.bincount((times % 86_400) // 3_600, minlength=24)
    assert hours[20] > 3 * hours[3]


@pytest.mark.slow
def test_full_demo_shop_with_a_million_events_in_under_a_minute(tmp_path: Path) -> None:
    files = generate_demo_shop(tmp_path, progress=False)
    assert files.n_products == 1500 and files.n_customers == 5000 and files.n_events >= 1_000_000
    assert files.seconds < 60
