"""`SnapshotCache`: this process's catalog writes are seen at once; another process's are picked up in the
background, while requests keep the current snapshot."""

from __future__ import annotations

import time

import numpy as np
import orjson
from fastapi.testclient import TestClient

from optirec.eyewear.wearer import Wearer
from optirec.gateway.state import AppState
from optirec.recommend.filters import WearerCache
from optirec.recommend.snapshot import CatalogSnapshot, SnapshotCache, build_snapshot

from ..conftest import product_data, signal_data


def test_another_processs_catalog_change_is_picked_up_in_the_background(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    assert client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers).status_code == 201
    # A cache of its own stands for another process's: the app's catalog writes do not invalidate it.
    cache = SnapshotCache(state.db, state.settings.rules, check_seconds=0.05)
    first = cache.get()
    assert first.ids == ["FR-1"]
    assert client.post("/api/catalog/products", json=product_data("FR-2"), headers=service_headers).status_code == 201
    time.sleep(0.1)  # the check interval has passed
    assert cache.get() is first  # answered with the current snapshot, not rebuilt in the caller
    deadline = time.monotonic() + 10
    while cache.get().ids != ["FR-1", "FR-2"]:
        assert time.monotonic() < deadline, "the background check never rebuilt the snapshot"
        time.sleep(0.02)


def test_an_invalidated_snapshot_is_rebuilt_in_the_caller(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    cache = SnapshotCache(state.db, state.settings.rules, check_seconds=3600)
    assert cache.get().ids == []
    assert client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers).status_code == 201
    cache.invalidate()  # what this process's own catalog writes call
    assert cache.get().ids == ["FR-1"]


def _same_arrays(got: CatalogSnapshot, full: CatalogSnapshot) -> None:
    """Every array of the snapshot a full build holds, equal."""
    assert got.version == full.version and got.ids == full.ids
    for name in ("sellable", "active", "price", "features", "profile_codes", "rest"):
        assert np.array_equal(getattr(got, name), getattr(full, name)), name
    assert np.allclose(got.profile_shares, full.profile_shares)
    assert got.summaries == full.summaries and got.frame_objects == full.frame_objects


def test_an_availability_change_is_read_alone_and_equals_a_full_build(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    """A stock or active change reads the products changed (`snapshot.available`): the arrays of the products and
    their content stay the snapshot's own (`built` kept), what passes is made again; any other change, or a product
    added, reads the whole catalog again."""
    for k in range(1, 5):
        assert client.post("/api/catalog/products", json=product_data(f"FR-{k}", colour=["black", "tortoise"][k % 2]),
                           headers=service_headers).status_code == 201  # fmt: skip
    cache = SnapshotCache(state.db, state.settings.rules, check_seconds=3600)
    first = cache.get()
    assert first.sellable.all()

    assert client.patch("/api/catalog/products/FR-2", json={"stock": 0}, headers=service_headers).status_code == 200
    assert client.delete("/api/catalog/products/FR-3", headers=service_headers).status_code == 200
    cache.invalidate()
    second = cache.get()
    assert second.built == first.built != second.version and second.frames is first.frames
    assert second.sellable.tolist() == [True, False, False, True] and second.active.tolist() == [
        True,
        True,
        False,
        True,
    ]
    with state.db.read() as session:
        _same_arrays(second, build_snapshot(session, state.settings.rules))

    assert client.patch("/api/catalog/products/FR-2", json={"stock": 3}, headers=service_headers).status_code == 200
    cache.invalidate()
    third = cache.get()
    assert third.built == first.built and third.sellable.tolist() == [True, True, False, True]

    # a price, a name, the attributes: patched too (the summaries, the prices and their bands), `built` kept
    for product, change in (("FR-1", {"price": "99.00"}), ("FR-4", {"name": "Renamed", "attributes": {"hinge": "x"}})):
        assert client.patch(f"/api/catalog/products/{product}", json=change, headers=service_headers).status_code == 200
    cache.invalidate()
    fourth = cache.get()
    assert fourth.built == first.built != fourth.version and fourth.frames is first.frames
    assert fourth.price[0] == 99.0 and fourth.summaries[3].name == "Renamed" and fourth.attributes[3] == {"hinge": "x"}
    assert fourth.summaries[0].price == 99 and third.summaries[0].price != 99  # the older snapshot left as it was
    with state.db.read() as session:
        _same_arrays(fourth, build_snapshot(session, state.settings.rules))

    # a wearer's view reads the products and their availability only: kept through the price change, not the stock's
    views = WearerCache()
    wearer = Wearer(face_width_mm=135.0)
    assert views.view(fourth, wearer, state.settings.rules) is views.view(third, wearer, state.settings.rules)
    assert fourth.availability == third.availability != second.availability and fourth.sellable is third.sellable
    assert views.view(second, wearer, state.settings.rules) is not views.view(third, wearer, state.settings.rules)

    # what a rule, a score or the model reads (a frame's width, its colour): the whole catalog read again
    assert (
        client.patch("/api/catalog/products/FR-1", json={"colour": "red"}, headers=service_headers).status_code == 200
    )
    cache.invalidate()
    fifth = cache.get()
    assert fifth.built == fifth.version != first.built
    with state.db.read() as session:
        _same_arrays(fifth, build_snapshot(session, state.settings.rules))

    assert client.post("/api/catalog/products", json=product_data("FR-5"), headers=service_headers).status_code == 201
    cache.invalidate()
    sixth = cache.get()
    assert sixth.built == sixth.version and sixth.ids[-1] == "FR-5"


def test_price_changes_move_the_price_bands_as_a_full_build_does(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    """A price patched into the snapshot moves the catalogue's price bands (its quintiles) and the attribute profile's
    codes, groups and shares exactly as a full build would, and the summary's JSON of the product changed is made
    again while the others' are kept."""
    for k in range(10):
        body = product_data(f"FR-{k}", price=f"{50 + 10 * k}.00")
        assert client.post("/api/catalog/products", json=body, headers=service_headers).status_code == 201
    cache = SnapshotCache(state.db, state.settings.rules, check_seconds=3600)
    first = cache.get()
    kept = first.summary_json(5)
    stale = first.summary_json(0)
    for product, price in (("FR-0", "500.00"), ("FR-9", "1.00"), ("FR-3", "10.00")):
        change = {"price": price}
        assert client.patch(f"/api/catalog/products/{product}", json=change, headers=service_headers).status_code == 200
    cache.invalidate()
    second = cache.get()
    assert second.built == first.built and not np.array_equal(second.profile_codes[-1], first.profile_codes[-1])
    with state.db.read() as session:
        full = build_snapshot(session, state.settings.rules)
    _same_arrays(second, full)
    assert np.array_equal(second.profile_groups.codes, full.profile_groups.codes)
    assert second.profile_groups.widths == full.profile_groups.widths
    assert second.summary_json(5) is kept and second.summary_json(0) is not stale
    assert float(orjson.loads(orjson.dumps(second.summary_json(0)))["price"]) == 500.0


def test_more_availability_changes_than_the_bound_read_the_catalog_again(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    for k in range(1, 5):
        assert (
            client.post("/api/catalog/products", json=product_data(f"FR-{k}"), headers=service_headers).status_code
            == 201
        )
    cache = SnapshotCache(state.db, state.settings.rules, check_seconds=3600)
    cache.MOST_CHANGED = 2
    first = cache.get()
    for k in range(1, 4):  # three changed, more than the bound: the whole catalog is read again
        assert (
            client.patch(f"/api/catalog/products/FR-{k}", json={"stock": 0}, headers=service_headers).status_code == 200
        )
    cache.invalidate()
    second = cache.get()
    assert second.built == second.version != first.built and second.sellable.tolist() == [False, False, False, True]


def test_popularity_after_an_availability_change_equals_a_fresh_processs(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    """The popularity and segment vectors keep their counts per catalog of products and standardise them again over
    what is sellable after a stock change: the same vectors as a process that starts on the changed catalog."""
    from optirec.customers.schemas import CustomerUpsert
    from optirec.customers.service import upsert_customer
    from optirec.recommend.live import ServingState

    for k in range(1, 5):
        assert (
            client.post("/api/catalog/products", json=product_data(f"FR-{k}"), headers=service_headers).status_code
            == 201
        )
    with state.db.write() as session:  # customers without a prescription or a face width: one segment
        for n in range(16):
            upsert_customer(session=session, customer_id=f"c{n}", data=CustomerUpsert())
    views = [
        signal_data(product_id=f"FR-{k}", customer_id=f"c{n}", action_type="add_to_cart")
        for k in range(1, 5)
        for n in range(k * k)
    ]
    assert client.post("/api/recommendations/signals", json=views, headers=service_headers).status_code < 300
    serving = ServingState(state.db, state.settings.rules)
    group = ("none", "unknown")
    before = serving.popularity_vector(serving.snapshots.get()), serving.segment_vector(serving.snapshots.get(), group)
    assert client.patch("/api/catalog/products/FR-4", json={"stock": 0}, headers=service_headers).status_code == 200
    serving.snapshots.invalidate()
    snapshot = serving.snapshots.get()
    fresh = ServingState(state.db, state.settings.rules)
    assert fresh.snapshots.get().built != snapshot.built == serving.snapshots.get().built  # one kept, one read whole
    assert np.array_equal(serving.popularity_vector(snapshot), fresh.popularity_vector(fresh.snapshots.get()))
    assert not np.array_equal(serving.popularity_vector(snapshot), before[0]) and snapshot.sellable.tolist()[3] is False
    got, expected = serving.segment_vector(snapshot, group), fresh.segment_vector(fresh.snapshots.get(), group)
    assert got is not None and expected is not None and before[1] is not None
    assert np.array_equal(got, expected) and not np.array_equal(got, before[1])


def test_a_list_shows_a_new_price_and_name_at_once(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    """The process that takes a price or name change answers its next list with them (the summary patched, its JSON
    made again, the lists kept from before the change not repeated), and a request's price filter reads the new
    price."""
    for k in range(1, 4):
        body = product_data(f"FR-{k}", price=f"{100 + k}.00")
        assert client.post("/api/catalog/products", json=body, headers=service_headers).status_code == 201

    def shown(**filters: object) -> dict[str, dict[str, object]]:
        body = {"session_id": "sess-prices-1", "limit": 3, "filters": filters}
        answer = client.post("/api/recommendations/personalized", json=body, headers=service_headers)
        assert answer.status_code == 200, answer.text
        return {item["product"]["id"]: item["product"] for item in answer.json()["items"]}

    snapshots = state.list_builder.serving_state.snapshots
    before = shown()
    built = snapshots.get().built
    assert float(before["FR-2"]["price"]) == 102.0 and shown() == before  # asked again: the same list
    change = {"price": "55.50", "name": "Aria Round, reduced"}
    assert client.patch("/api/catalog/products/FR-2", json=change, headers=service_headers).status_code == 200
    after = shown()
    assert float(after["FR-2"]["price"]) == 55.5 and after["FR-2"]["name"] == "Aria Round, reduced"
    assert after["FR-1"] == before["FR-1"]
    assert list(shown(price_max="60")) == ["FR-2"]
    assert snapshots.get().built == built != snapshots.get().version  # patched, not read whole
