"""`demo-eval`'s served lists (`demo.served`): built by the serving code from the demo shop loaded into a database,
they keep the hard rules on what the shop is told and never show again what a customer bought."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optirec.demo.evaluate import read_events, split_by_time
from optirec.demo.fitting import fit_matrices
from optirec.demo.personalised import optirec_scorer
from optirec.demo.served import open_served_shop, served_lists
from optirec.demo.shop import DemoShopFiles, World
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.wearer import Wearer
from optirec.recommend.service import WEIGHTS


@pytest.mark.slow
def test_served_lists_keep_the_hard_rules_and_skip_what_was_bought(
    small_shop: DemoShopFiles, small_world: World, tmp_path: Path
) -> None:
    world = small_world
    product_ids = [p.id for p in world.products]
    events = read_events(small_shop.out_dir / "events.csv", [c.id for c in world.customers], product_ids)
    train, users, bought = split_by_time(world, events, 24)
    optirec_scorer(train, world.products, tmp_path / "models", train_seconds=3)
    (model_dir,) = (tmp_path / "models").iterdir()
    shop = open_served_shop(world, train, model_dir, tmp_path)
    try:
        customers = [world.customers[int(u)].id for u in users[:60]]
        lists = served_lists(shop.builder(), customers, product_ids, 12)
        profiled = served_lists(shop.builder({**WEIGHTS, "profile": 4.0}), customers, product_ids, 12)
    finally:
        shop.close()
    told_ok, _ = fit_matrices([Wearer.from_profile(c) for c in world.customers], world.products, RuleSettings())
    accessory = np.array([p.category == "accessories" for p in world.products])
    for served in (lists, profiled):
        assert (served >= 0).all()  # the small shop has enough products for every list
        rows = users[:60, None]
        assert told_ok[rows, served].all()  # what the shop knows of each customer's rules holds
        assert not (bought[rows, served] & ~accessory[served]).any()
        assert all(np.unique(row).size == row.size for row in served)
    assert (lists != profiled).any()  # the profile's weight changes lists
