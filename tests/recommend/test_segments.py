"""First-time visitors: popular among shoppers of the same prescription and face size."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from optirec.eyewear.wearer import Eye, Wearer
from optirec.recommend.segments import segment_of
from optirec.runtime.state import AppState
from tests.conftest import product_data, signal_data

MYOPE = {"prescription": {"right": {"sph": -4.0}, "left": {"sph": -4.0}}, "face_width_mm": 128}
READER = {"prescription": {"right": {"sph": 1.0, "add": 2.0}, "left": {"sph": 1.0, "add": 2.0}}, "face_width_mm": 150}


def test_segments_by_prescription_and_face() -> None:
    assert segment_of(Wearer()) == ("none", "unknown")
    assert segment_of(Wearer(Eye(-3.0, 0.0, None, None), Eye(-2.5, 0.0, None, None), None, 150.0)) == ("myopia", "wide")
    assert segment_of(Wearer(Eye(1.0, 0.0, None, 2.0), None, None, 138.0)) == ("multifocal", "medium")


def _myopes_and_readers(client: TestClient, service_headers: dict[str, str]) -> None:
    for k in range(6):
        product = product_data(f"F{k}", name=f"Frame {k}", frame_width_mm=130 + k * 3, sphere_min=-8, sphere_max=6)
        client.post("/api/catalog/products", json=product, headers=service_headers)
    for n in range(12):  # myopes with narrow faces buy F1; readers with wide faces buy F4; everyone views F5
        myope, reader = f"myope-{n}", f"reader-{n}"
        client.put(f"/api/customers/{myope}", json=MYOPE, headers=service_headers)
        client.put(f"/api/customers/{reader}", json=READER, headers=service_headers)
        signals = [
            signal_data(customer_id=myope, product_id="F1", action_type="purchase"),
            signal_data(customer_id=reader, product_id="F4", action_type="purchase"),
            *[signal_data(customer_id=f"crowd-{n}-{v}", product_id="F5") for v in range(8)],
        ]
        client.post("/api/recommendations/signals", json=signals, headers=service_headers)


def test_a_first_time_visitor_sees_what_shoppers_like_them_bought(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    _myopes_and_readers(client, service_headers)
    client.put("/api/customers/new-myope", json=MYOPE, headers=service_headers)
    body = client.post(
        "/api/recommendations/personalized", json={"customer_id": "new-myope", "limit": 3, "diversity": 0},
        headers=service_headers,
    ).json()  # fmt: skip
    assert body["items"][0]["product"]["id"] == "F1", body
    assert "Popular with shoppers of your size and prescription" in body["items"][0]["reasons"]


def test_the_warm_up_builds_every_segments_vector_and_its_mix_with_popularity(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    """A worker's warm-up builds each segment's vector (a pass over the catalog's ids each, otherwise in the first
    list of each segment), and on a catalog the approximate path serves, its popularity mix (`mixed_popularity`):
    the same floats the blend adds, made once."""
    _myopes_and_readers(client, service_headers)
    serving = state.list_builder.serving_state
    serving.segments.refresh()
    serving.approximate_from = 1
    serving.warm()
    snapshot = serving.snapshots.get()
    assert set(serving.segments.known()) == {("myopia", "narrow"), ("multifocal", "wide")}
    popularity = serving.popularity_vector(snapshot)
    for group in serving.segments.known():
        segment = serving.segment_vector(snapshot, group)
        assert segment is not None
        mixed = serving.mixed_popularity(popularity, segment)
        assert mixed is serving.mixed_popularity(popularity, segment)  # made at the warm-up, not again
        assert np.array_equal(mixed, 0.5 * popularity + segment)
    assert serving.mixed_popularity(popularity, None) is popularity
    # Mixes of a segment vector no longer cached (an older count's) or of an older popularity go at the next mix.
    stale = np.zeros_like(popularity)
    serving.mixed_popularity(popularity, stale)
    myopes = serving.segment_vector(snapshot, ("myopia", "narrow"))
    serving.mixed_popularity(popularity.copy(), myopes)  # popularity counted again
    assert list(serving._mixed) == [id(myopes)]


def test_the_counts_read_only_the_profiles_changed_since_and_equal_a_full_count(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    """`CustomerSegments` keeps each customer's segment between counts and reads again only the profiles changed
    since (and drops an erased customer's): the counts equal a count from scratch after profiles change and a
    customer is erased."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from optirec.recommend.segments import CustomerSegments, segment_counts
    from optirec.store.tables import CustomerProfile

    _myopes_and_readers(client, service_headers)
    kept = CustomerSegments()
    first = segment_counts(state.db, kept)
    assert first == segment_counts(state.db) and set(first) == {("myopia", "narrow"), ("multifocal", "wide")}
    for n in range(12):  # the readers' faces become narrow: their purchases move to (multifocal, narrow)
        narrow = {**READER, "face_width_mm": 128}
        assert client.put(f"/api/customers/reader-{n}", json=narrow, headers=service_headers).status_code == 200
    moved = segment_counts(state.db, kept)
    assert moved == segment_counts(state.db) and set(moved) == {("myopia", "narrow"), ("multifocal", "narrow")}
    assert client.delete("/api/customers/myope-0", headers=service_headers).status_code < 300
    assert segment_counts(state.db, kept) == segment_counts(state.db)
    # Only the changed profiles are read: one changed behind the service's back, stamped an hour ago, is not.
    with state.db.write() as session:
        session.execute(
            update(CustomerProfile)
            .where(CustomerProfile.customer_id == "reader-0")
            .values(face_width_mm=150, updated_at=datetime.now(UTC) - timedelta(hours=1))
        )
    assert segment_counts(state.db, kept) != segment_counts(state.db)
