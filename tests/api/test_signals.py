"""POST /api/recommendations/signals, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.store import Database
from optirec.store.tables import Signal
from tests.conftest import auth_header, product_data, register, signal_data


def test_batch_counts_accepted_duplicates_unknown_and_rejected(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    batch = [
        signal_data("e1"),
        signal_data("e2", product_id="NOT-YET-IN-CATALOG"),
        signal_data("e3", action_type="teleport"),
        signal_data("e1"),
    ]
    response = client.post("/api/recommendations/signals", json=batch, headers=service_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"], body["unknown_products"]) == (2, 1, 1, 1)
    assert body["errors"][0]["index"] == 2 and "teleport" in body["errors"][0]["message"]

    again = client.post("/api/recommendations/signals", json=batch[:2], headers=service_headers).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)


SIGNALS = "/api/recommendations/signals"


def stored_signals(db: Database) -> list[Signal]:
    with db.read() as session:
        return list(session.scalars(select(Signal).order_by(Signal.event_id)))


@pytest.mark.parametrize("form", ["object", "list", "wrapped"])
def test_one_signal_in_each_accepted_form(
    client: TestClient, service_headers: dict[str, str], db: Database, form: str
) -> None:
    signal = signal_data("e1", price="19.90", quantity=2, recommendation_id="rec-1", context={"page": "product"})
    body = {"object": signal, "list": [signal], "wrapped": {"signals": [signal]}}[form]
    response = client.post(SIGNALS, json=body, headers=service_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": 0, "unknown_products": 1, "errors": []}
    [row] = stored_signals(db)
    assert (row.event_id, row.customer_id, row.product_id, row.action_type) == ("e1", "cust-1", "FR-1", "view")
    assert (row.quantity, float(row.price or 0), row.recommendation_id) == (2, 19.9, "rec-1")
    assert row.occurred_at == datetime(2026, 11, 1, 10, tzinfo=UTC) and row.context == {"page": "product"}
    assert row.product_known is False


def test_batch_of_the_maximum_is_accepted_and_one_more_is_413(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    batch = [signal_data(f"e{i}") for i in range(1001)]
    too_many = client.post(SIGNALS, json={"signals": batch}, headers=service_headers)
    assert too_many.status_code == 413 and "1,000" in too_many.json()["error"]["message"]
    assert stored_signals(db) == []
    response = client.post(SIGNALS, json=batch[:1000], headers=service_headers)
    assert response.status_code == 200 and response.json()["accepted"] == 1000


@pytest.mark.parametrize("body", [[], {"signals": []}])
def test_empty_batch_is_422(client: TestClient, service_headers: dict[str, str], body: object) -> None:
    response = client.post(SIGNALS, json=body, headers=service_headers)
    assert response.status_code == 422 and "empty" in response.json()["error"]["message"]


@pytest.mark.parametrize("body", [b"{oops", b"", b"\xff\xfe", b'[{"event_id": "e1"'])
def test_malformed_json_is_400(client: TestClient, service_headers: dict[str, str], body: bytes) -> None:
    response = client.post(SIGNALS, content=body, headers={**service_headers, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("body", ['"a signal"', "42", "null", "true"])
def test_json_that_is_no_signal_at_all_is_400(client: TestClient, service_headers: dict[str, str], body: str) -> None:
    response = client.post(
        SIGNALS, content=body.encode(), headers={**service_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "signal object" in response.json()["error"]["message"]


def test_wrong_types_are_422_with_an_error_per_item(client: TestClient, service_headers: dict[str, str]) -> None:
    batch = [
        signal_data("e1", quantity="many"),
        signal_data("e2", occurred_at={"at": "noon"}),
        "not an object",
        signal_data("e4", price=-3),
        signal_data("e5", customer_id=None),
    ]
    response = client.post(SIGNALS, json=batch, headers=service_headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"] == "Every signal of the batch was rejected."
    details = error["details"]
    assert [d["index"] for d in details] == [0, 1, 2, 3, 4]
    assert [d["event_id"] for d in details] == ["e1", "e2", None, "e4", "e5"]
    assert "quantity" in details[0]["message"] and "occurred_at" in details[1]["message"]
    assert "price" in details[3]["message"] and "customer_id or an anonymous session_id" in details[4]["message"]


def test_a_bad_item_never_blocks_the_good_ones(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    batch = [signal_data("good-1"), signal_data("bad", quantity=0), signal_data("good-2")]
    body = client.post(SIGNALS, json=batch, headers=service_headers).json()
    assert (body["accepted"], body["rejected"]) == (2, 1) and body["errors"][0]["index"] == 1
    assert [s.event_id for s in stored_signals(db)] == ["good-1", "good-2"]


def test_unknown_action_in_a_single_signal_is_422(client: TestClient, service_headers: dict[str, str]) -> None:
    response = client.post(SIGNALS, json=signal_data(action_type="teleport"), headers=service_headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert "unknown action 'teleport'" in error["message"] and "add_to_cart" in error["message"]
    assert error["details"][0]["index"] == 0


def test_configured_extra_action_types_are_accepted(
    build_client: Callable[..., TestClient], service_headers: dict[str, str]
) -> None:
    shop = build_client(extra_action_types=["try_on"])
    body = shop.post(SIGNALS, json=[signal_data("e1", action_type="try_on")], headers=service_headers).json()
    assert body["accepted"] == 1
    refused = shop.post(SIGNALS, json=signal_data("e2", action_type="share"), headers=service_headers)
    assert refused.status_code == 422 and "try_on" in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("occurred_at", "words"),
    [
        ("2026-11-01T10:00:00", "timezone"),
        ("2026-11-01", "timezone"),
        ("yesterday", "datetime"),
        ((datetime.now(UTC) + timedelta(days=2)).isoformat(), "future"),
    ],
    ids=["no-zone", "date-only", "words", "future"],
)
def test_bad_occurred_at_is_rejected(
    client: TestClient, service_headers: dict[str, str], occurred_at: str, words: str
) -> None:
    response = client.post(SIGNALS, json=signal_data(occurred_at=occurred_at), headers=service_headers)
    assert response.status_code == 422 and words in response.json()["error"]["message"]


def test_occurred_at_in_another_zone_is_stored_in_utc(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    client.post(SIGNALS, json=signal_data("e1", occurred_at="2026-11-01T12:00:00+02:00"), headers=service_headers)
    assert stored_signals(db)[0].occurred_at == datetime(2026, 11, 1, 10, tzinfo=UTC)


def test_unknown_product_is_stored_and_counted(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    batch = [signal_data("e1"), signal_data("e2", product_id="FR-LATER")]
    body = client.post(SIGNALS, json=batch, headers=service_headers).json()
    assert (body["accepted"], body["unknown_products"]) == (2, 1)
    assert [(s.product_id, s.product_known) for s in stored_signals(db)] == [("FR-1", True), ("FR-LATER", False)]


def test_repeats_are_acknowledged_and_stored_once(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    first = client.post(SIGNALS, json=signal_data("e1"), headers=service_headers).json()
    again = client.post(SIGNALS, json=signal_data("e1", action_type="purchase"), headers=service_headers).json()
    assert (first["accepted"], again["accepted"], again["duplicates"]) == (1, 0, 1)
    assert [s.action_type for s in stored_signals(db)] == ["view"]  # the first one stands


def test_a_forbidden_item_refuses_the_request_and_stores_nothing(client: TestClient, db: Database) -> None:
    customer_id, token = register(client)
    batch = [signal_data("mine", customer_id=customer_id), signal_data("theirs", customer_id="someone-else")]
    response = client.post(SIGNALS, json=batch, headers=auth_header(token))
    assert response.status_code == 403 and response.json()["error"]["details"] == {"event_id": "theirs"}
    assert stored_signals(db) == []


def test_context_keeps_extra_keys_but_not_too_many(client: TestClient, service_headers: dict[str, str]) -> None:
    ok = signal_data("e1", context={"page": "home", "device": "mobile", "campaign": "winter"})
    assert client.post(SIGNALS, json=ok, headers=service_headers).json()["accepted"] == 1
    crowded = signal_data("e2", context={f"k{i}": i for i in range(21)})
    response = client.post(SIGNALS, json=crowded, headers=service_headers)
    assert response.status_code == 422 and "20 extra keys" in response.json()["error"]["message"]


def test_signals_need_credentials(client: TestClient) -> None:
    assert client.post(SIGNALS, json=signal_data()).status_code == 401


def test_event_ids_are_per_shopper_never_shared_across_shoppers(client: TestClient, db: Database) -> None:
    """Regression (review item 7): a customer who sent `event_id: "bob-6"` first made Bob's own purchase with that id
    a silent duplicate, and learned whether the id existed."""
    _, mallory = register(client, "mallory@example.com")
    bob_id, bob = register(client, "bob@example.com")
    probe = client.post(SIGNALS, json=signal_data("bob-6", customer_id=None), headers=auth_header(mallory)).json()
    assert (probe["accepted"], probe["duplicates"]) == (1, 0)
    purchase = signal_data("bob-6", customer_id=None, action_type="purchase")
    first = client.post(SIGNALS, json=purchase, headers=auth_header(bob)).json()
    assert (first["accepted"], first["duplicates"]) == (1, 0)  # Bob's own id, whatever another shopper sent
    again = client.post(SIGNALS, json=purchase, headers=auth_header(bob)).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)  # idempotent for Bob himself
    with db.read() as session:
        rows = session.execute(select(Signal.customer_id, Signal.action_type).where(Signal.event_id == "bob-6")).all()
    assert sorted(action for _, action in rows) == ["purchase", "view"] and bob_id in {c for c, _ in rows}


def test_a_batch_repeats_an_event_id_only_for_the_same_shopper(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    batch = [signal_data("e1", customer_id="a"), signal_data("e1", customer_id="b"), signal_data("e1", customer_id="a")]
    body = client.post(SIGNALS, json=batch, headers=service_headers).json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)


def test_an_event_is_its_id_and_its_time_for_its_shopper(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    """A retry (the same id and time, in one batch or another) is a duplicate; the same id at another moment is a
    new signal: the time is part of the key, as PostgreSQL partitions the signals by it (migration 0013), on both
    engines alike. Neither a retry nor a signal in a quarter with no partition of its own is lost."""
    at = datetime(2026, 11, 1, 10, tzinfo=UTC)
    later = at + timedelta(seconds=1)
    long_ago = datetime(2003, 5, 1, tzinfo=UTC)  # older than every quarter's partition: the default one holds it
    retry = signal_data("e1", occurred_at=at.isoformat())
    batch = [
        retry,
        retry,
        signal_data("e1", occurred_at=later.isoformat()),
        signal_data("e2", occurred_at=long_ago.isoformat()),
    ]
    first = client.post(SIGNALS, json=batch, headers=service_headers).json()
    assert (first["accepted"], first["duplicates"]) == (3, 1)
    again = client.post(SIGNALS, json=batch, headers=service_headers).json()
    assert (again["accepted"], again["duplicates"]) == (0, 4)
    stored = sorted((s.event_id, s.occurred_at) for s in stored_signals(db))
    assert stored == [("e1", at), ("e1", later), ("e2", long_ago)]
