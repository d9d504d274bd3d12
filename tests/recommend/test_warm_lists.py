"""A worker's warm-up builds two lists nobody is shown (`ListBuilder.warm`), so that the compiled kernels of a list
are compiled, or loaded from numba's cache, before the worker says it is ready, and never in the event loop by the
first shoppers (a fresh deployment's first lists took seconds a kernel on the large shop).

Each check runs in a fresh interpreter, where no kernel has been asked for yet: after the warm-up, a real personal
list, a list beside a product and a list for a stated wearer add no signature to any of optirec's compiled kernels.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from optirec.recommend.model_adapter import load_live_model
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListSpec
from optirec.runtime.app import create_app
from optirec.runtime.state import build_state
from optirec.settings import MAX_EXPLORATION_SHARE, PLACEMENTS, ExplorationSettings, Settings
from tests.conftest import empty_database, make_key, signal_data
from tests.recommend.test_approximate import train_chain_model
from tests.recommend.test_hard_filters_property import load_random_catalog

SCRIPT = """
import asyncio, json, sys
from numba.core.dispatcher import Dispatcher
from optirec.eyewear.wearer import Eye, Wearer
from optirec.recommend.model_adapter import load_live_model
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListSpec
from optirec.runtime.state import build_state
from optirec.settings import Settings

path, version, approximate_from, warm = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "warm"
state = build_state(Settings())
builder = state.list_builder
builder.serving_state.approximate_from = approximate_from
builder.serving_state.swap_model(load_live_model(path, version))


def signatures():
    return {
        f"{name}.{attr}": len(value.signatures)
        for name, module in list(sys.modules.items()) if name.startswith("optirec.")
        for attr, value in list(vars(module).items()) if isinstance(value, Dispatcher)
    }


if warm:
    builder.warm()
before = signatures()
stated = Wearer(right=Eye(-4.5, -1.25, 170, 2.0), left=Eye(-4.0, -1.0, 10, 2.0), pd_mm=61.5, face_width_mm=131.0)
specs = [
    ListSpec("home", "c0", None, 12, RecommendationFilters()),
    ListSpec("similar", "c1", None, 8, RecommendationFilters(), context_items=[sys.argv[5]], use_history=False),
    ListSpec("home", None, None, 12, RecommendationFilters(), wearer=stated),
]
for spec in specs:
    assert asyncio.run(builder.preview_async(spec)).items
after = signatures()
print(json.dumps({name: [before.get(name, 0), count] for name, count in after.items() if count != before.get(name, 0)}))
"""


@pytest.fixture
def trained(tmp_path: Path) -> tuple[str, str]:
    """The small model of the approximate path's tests: its folder and version."""
    output = train_chain_model(tmp_path / "model")
    return str(output.path), output.version


def _new_signatures(
    settings: Settings, trained: tuple[str, str], approximate_from: int, warm: bool
) -> dict[str, list[int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIREC_")}
    env |= {"OPTIREC_DATABASE_URL": settings.database_url, "OPTIREC_DATA_DIR": str(settings.data_dir / "fresh"),
            "OPTIREC_SECRET_KEY": "test-secret-key-of-sufficient-length-0123456789"}  # fmt: skip
    command = [sys.executable, "-c", SCRIPT, *trained, str(approximate_from), "warm" if warm else "cold", "P010"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("approximate_from", [1, 0], ids=["approximate", "exact"])
def test_after_the_warm_up_no_list_compiles_a_kernel(
    client: TestClient, settings: Settings, service_headers: dict[str, str], trained: tuple[str, str],
    approximate_from: int,
) -> None:  # fmt: skip
    load_random_catalog(client, service_headers)
    signals = [
        signal_data(customer_id=f"c{k}", product_id=f"P{(7 * k + j) % 60:03d}") for k in range(2) for j in range(5)
    ]
    assert client.post("/api/recommendations/signals", json=signals, headers=service_headers).status_code < 300
    assert _new_signatures(settings, trained, approximate_from, warm=True) == {}
    # the check itself: without the warm-up, the same lists compile (or load) kernels in the request
    assert _new_signatures(settings, trained, approximate_from, warm=False)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_warm_up_draws_nothing_from_the_exploration(settings: Settings, trained: tuple[str, str]) -> None:
    """The warm-up's lists are greedy even where every placement explores: the exploration's generator (seeded, so
    that a shop or a simulation can replay its draws) is left as it was."""
    explores = ExplorationSettings(shares={p: MAX_EXPLORATION_SHARE for p in PLACEMENTS})
    state = build_state(settings.model_copy(update={"exploration": explores}))
    empty_database(state.db)
    try:
        client = TestClient(create_app(settings, state))
        load_random_catalog(client, {"X-API-Key": make_key(state.db)})
        builder = state.list_builder
        builder.serving_state.swap_model(load_live_model(*trained))
        drawn = builder.rng.getstate()
        builder.warm()
        assert builder.rng.getstate() == drawn
        listed = asyncio.run(builder.preview_async(ListSpec("home", None, "s-1", 12, RecommendationFilters())))
        assert listed.policy == "explore" and builder.rng.getstate() != drawn  # (the placement does explore)
    finally:
        state.db.dispose()
