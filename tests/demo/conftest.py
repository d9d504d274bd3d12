"""A small demo shop generated once per test session, shared by the demo tests (read-only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from optirec.demo.shop import DemoShopFiles, World, generate_demo_shop, load_world


@pytest.fixture(scope="session")
def small_shop(tmp_path_factory: pytest.TempPathFactory) -> DemoShopFiles:
    return generate_demo_shop(
        tmp_path_factory.mktemp("shop"), seed=11, products=300, customers=600, days=30, events=60_000, progress=False
    )


@pytest.fixture(scope="session")
def small_world(small_shop: DemoShopFiles) -> World:
    return load_world(small_shop.out_dir)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()
