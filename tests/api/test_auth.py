"""`/api/auth/…` and `/api/admin/keys`, and who may reach what (the authorisation matrix), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.auth import service as auth_service
from optirec.settings import Settings
from optirec.store import Database
from optirec.store.tables import Signal
from tests.conftest import PASSWORD, auth_header, make_key, product_data, register, signal_data

SIGNALS = "/api/recommendations/signals"


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **form: str) -> dict[str, str]:
    response = client.post("/api/auth/token", data={"username": email, "password": password, **form})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def admin_user_headers(client: TestClient, db: Database) -> dict[str, str]:
    with db.write() as session:
        auth_service.register_customer(session=session, email="root@example.com", password=PASSWORD, role="admin")
    return auth_header(sign_in(client, "root@example.com")["access_token"])


def assert_error(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert set(error) == {"code", "message", "details"} and error["code"] == code and error["message"]
    return error  # type: ignore[no-any-return]


# --- register and sign in ----------------------------------------------------------------------------------------


def test_register_creates_an_account_and_signs_in(client: TestClient) -> None:
    response = client.post("/api/auth/register", json={"email": "Ada@Example.com", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    me = client.get("/api/customers/me", headers=auth_header(body["access_token"])).json()
    assert (me["id"], me["email"], me["role"]) == (body["customer_id"], "ada@example.com", "customer")


def test_register_twice_with_the_same_email_is_a_conflict(client: TestClient) -> None:
    register(client, "ada@example.com")
    response = client.post("/api/auth/register", json={"email": "ADA@example.com", "password": PASSWORD})
    assert_error(response, 409, "conflict")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada@example.com", "password": "short"},
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "ada@example.com"},
        {"email": "ada@example.com", "password": PASSWORD, "role": "admin"},
    ],
    ids=["weak-password", "bad-email", "no-password", "role-smuggled"],
)
def test_register_refuses_bad_input(client: TestClient, body: dict[str, str]) -> None:
    error = assert_error(client.post("/api/auth/register", json=body), 422, "invalid_input")
    assert PASSWORD not in str(error)  # the password is never echoed back


def test_token_signs_in_with_the_email_as_username(client: TestClient) -> None:
    customer_id, _ = register(client, "ada@example.com")
    body = sign_in(client, "ADA@example.com")
    assert body["customer_id"] == customer_id
    assert client.get("/api/customers/me", headers=auth_header(body["access_token"])).status_code == 200


@pytest.mark.parametrize(("email", "password"), [("ada@example.com", "wrong password"), ("bob@example.com", PASSWORD)])
def test_wrong_password_or_unknown_email_is_401_with_one_message(client: TestClient, email: str, password: str) -> None:
    register(client, "ada@example.com")
    response = client.post("/api/auth/token", data={"username": email, "password": password})
    error = assert_error(response, 401, "unauthorized")
    assert error["message"] == "Wrong e-mail address or password."  # does not tell which of the two was wrong
    assert response.headers["www-authenticate"] == "Bearer"


# --- tokens ----------------------------------------------------------------------------------------------------


def _token(customer_id: str, secret: str, *, minutes: int, algorithm: str = "HS256") -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": customer_id,
        "role": "customer",
        "iss": "optirec",
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret if algorithm != "none" else None, algorithm=algorithm)


def test_expired_token_is_refused(client: TestClient, settings: Settings) -> None:
    customer_id, _ = register(client)
    token = _token(customer_id, settings.secret_key.get_secret_value(), minutes=-1)  # type: ignore[union-attr]
    error = assert_error(client.get("/api/customers/me", headers=auth_header(token)), 401, "unauthorized")
    assert "expired" in str(error["message"])


def test_token_made_with_the_test_secret_is_accepted(client: TestClient, settings: Settings) -> None:
    # The positive control of the forged-token cases below.
    customer_id, _ = register(client)
    token = _token(customer_id, settings.secret_key.get_secret_value(), minutes=5)  # type: ignore[union-attr]
    assert client.get("/api/customers/me", headers=auth_header(token)).status_code == 200


@pytest.mark.parametrize("kind", ["other-secret", "alg-none", "garbage", "tampered"])
def test_forged_token_is_refused(client: TestClient, kind: str) -> None:
    customer_id, real = register(client)
    token = {
        "other-secret": _token(customer_id, "another-secret-of-sufficient-length-0123456789", minutes=5),
        "alg-none": _token(customer_id, "", minutes=5, algorithm="none"),
        "garbage": "definitely-not-a-jwt",
        "tampered": real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB"),
    }[kind]
    assert_error(client.get("/api/customers/me", headers=auth_header(token)), 401, "unauthorized")


def test_token_of_a_deleted_customer_is_refused(client: TestClient) -> None:
    _, token = register(client)
    assert client.delete("/api/customers/me", headers=auth_header(token)).status_code == 200
    error = assert_error(client.get("/api/customers/me", headers=auth_header(token)), 401, "unauthorized")
    assert "no longer exists" in str(error["message"])


# --- the authorisation matrix ----------------------------------------------------------------------------------

WHO = ["none", "session", "customer", "service", "admin-key", "admin-user"]


def start_session(client: TestClient, headers: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """A new anonymous session: (its id, the headers that prove it)."""
    response = client.post("/api/auth/session", headers=headers or {})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["session_id"], {"X-Session-Token": body["session_token"]}


def headers_for(who: str, client: TestClient, db: Database) -> dict[str, str]:
    if who == "none":
        return {}
    if who == "session":
        return start_session(client)[1]
    if who == "customer":
        return auth_header(register(client, "cust@example.com")[1])
    if who == "service":
        return {"X-API-Key": make_key(db, "service")}
    if who == "admin-key":
        return {"X-API-Key": make_key(db, "admin")}
    return admin_user_headers(client, db)


# (method, path, body, expected status for none, anonymous session, customer, service, admin key, admin user)
MATRIX = [
    ("GET", "/api/customers/me", None, (401, 403, 200, 403, 403, 200)),
    ("GET", "/api/customers/target", None, (401, 403, 403, 200, 200, 200)),
    ("PUT", "/api/customers/target", {"pd_mm": 63}, (401, 403, 403, 200, 200, 200)),
    ("GET", "/api/customers/target/export", None, (401, 403, 403, 200, 200, 200)),
    ("GET", "/api/admin/keys", None, (401, 403, 403, 403, 200, 200)),
    ("POST", "/api/admin/keys", {"name": "storefront"}, (401, 403, 403, 403, 201, 201)),
    ("GET", "/api/catalog/products", None, (200, 200, 200, 200, 200, 200)),
    ("POST", "/api/catalog/products", product_data("FR-NEW"), (401, 403, 403, 201, 201, 201)),
    ("PATCH", "/api/catalog/products/FR-1", {"stock": 3}, (401, 403, 403, 200, 200, 200)),
    ("DELETE", "/api/catalog/products/FR-1", None, (401, 403, 403, 200, 200, 200)),
    ("POST", "/api/catalog/products/import", None, (401, 403, 403, 200, 200, 200)),
    ("POST", "/api/customers/import", None, (401, 403, 403, 200, 200, 200)),
    # A session someone else holds: only a server (or an administrator) may name it without its token.
    ("POST", SIGNALS, signal_data(customer_id=None, session_id="s-1"), (401, 403, 403, 200, 200, 200)),
    # The caller's own shopper, filled in: the customer's id, the anonymous shopper's session.
    ("POST", SIGNALS, signal_data(customer_id=None), (401, 200, 200, 422, 422, 422)),
    ("POST", "/api/recommendations/personalized", {"limit": 3}, (401, 200, 200, 200, 200, 200)),
    ("POST", "/api/recommendations/personalized", {"session_id": "s-1"}, (401, 403, 403, 200, 200, 200)),
]


@pytest.mark.parametrize("who", WHO)
def test_authorisation_matrix(client: TestClient, db: Database, service_headers: dict[str, str], who: str) -> None:
    """Each role reaches exactly what the foundation issue allows, nothing more."""
    client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    client.put("/api/customers/target", json={}, headers=service_headers)
    headers = headers_for(who, client, db)
    column = WHO.index(who)
    seen = {}
    for method, path, body, expected in MATRIX:
        kwargs: dict[str, object] = {"json": body} if body is not None else {}
        if path.endswith("/import"):
            kwargs = {"content": b"", "headers": {**headers, "Content-Type": "application/x-ndjson"}}
        else:
            kwargs["headers"] = headers
        response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        seen[f"{method} {path}"] = (response.status_code, expected[column])
        if response.status_code >= 400:
            assert set(response.json()["error"]) == {"code", "message", "details"}
    assert {k: v for k, v in seen.items() if v[0] != v[1]} == {}


def test_customer_may_not_send_a_signal_for_another_customer(client: TestClient) -> None:
    _, token = register(client)
    response = client.post(SIGNALS, json=signal_data(customer_id="someone-else"), headers=auth_header(token))
    assert_error(response, 403, "forbidden")


def test_customer_signal_with_their_own_session_is_stored_under_their_id(client: TestClient, db: Database) -> None:
    customer_id, token = register(client)
    session_id, proof = start_session(client)
    sent = signal_data("e-own", customer_id=None, session_id=session_id)
    assert client.post(SIGNALS, json=sent, headers={**auth_header(token), **proof}).json()["accepted"] == 1
    with db.read() as session:
        row = session.execute(select(Signal.customer_id, Signal.session_id)).one()
    assert tuple(row) == (customer_id, session_id)


def test_customer_token_signal_fills_in_their_own_id(client: TestClient, db: Database) -> None:
    """Regression (review item 10): docs/api.md says a customer token fills in its own id; a signal without one
    was refused with 422."""
    customer_id, token = register(client)
    sent = {"event_id": "e1", "product_id": "sku-1", "action_type": "view", "occurred_at": "2026-11-01T10:00:00Z"}
    assert client.post(SIGNALS, json=sent, headers=auth_header(token)).json()["accepted"] == 1
    with db.read() as session:
        assert session.scalar(select(Signal.customer_id)) == customer_id


def test_service_key_acts_for_any_customer_and_for_anonymous_sessions(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    batch = [signal_data("e1", customer_id="cust-a"), signal_data("e2", customer_id=None, session_id="anon-1")]
    body = client.post(SIGNALS, json=batch, headers=service_headers).json()
    assert (body["accepted"], body["rejected"]) == (2, 0)
    assert client.get("/api/customers/cust-a/export", headers=service_headers).status_code == 404  # no account yet


# --- API keys ----------------------------------------------------------------------------------------------------


def test_created_key_is_shown_once_and_works(client: TestClient, admin_headers: dict[str, str]) -> None:
    created = client.post("/api/admin/keys", json={"name": "storefront"}, headers=admin_headers)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("ork_") and created.json()["role"] == "service"
    assert client.get("/api/customers/x", headers={"X-API-Key": key}).status_code == 404  # authenticated, no such id
    listed = client.get("/api/admin/keys", headers=admin_headers)
    assert key not in listed.text and "key_hash" not in listed.text
    assert all("key" not in item for item in listed.json())
    assert created.json()["id"] in {item["id"] for item in listed.json()}


def test_api_key_also_works_as_a_bearer_credential(client: TestClient, service_headers: dict[str, str]) -> None:
    key = service_headers["X-API-Key"]
    assert client.get("/api/customers/x", headers=auth_header(key)).status_code == 404


def test_revoked_key_is_refused_immediately(client: TestClient, admin_headers: dict[str, str]) -> None:
    created = client.post("/api/admin/keys", json={"name": "old"}, headers=admin_headers).json()
    headers = {"X-API-Key": created["key"]}
    assert client.post(SIGNALS, json=signal_data(), headers=headers).status_code == 200
    revoked = client.delete(f"/api/admin/keys/{created['id']}", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    error = assert_error(client.post(SIGNALS, json=signal_data(), headers=headers), 401, "unauthorized")
    assert "revoked" in str(error["message"])


def test_unknown_key_is_refused_and_revoking_an_unknown_id_is_404(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    assert_error(client.get("/api/customers/x", headers={"X-API-Key": "ork_nope_nope"}), 401, "unauthorized")
    assert_error(client.delete("/api/admin/keys/nope", headers=admin_headers), 404, "not_found")


# --- anonymous sessions: a proven owner ------------------------------------------------------------------------


def test_session_token_is_renewed_for_the_same_session(client: TestClient) -> None:
    session_id, proof = start_session(client)
    renewed, renewed_proof = start_session(client, proof)
    assert renewed == session_id
    assert client.post("/api/recommendations/personalized", json={}, headers=renewed_proof).status_code == 200
    assert session_id.startswith("s_") and start_session(client)[0] != session_id


@pytest.mark.parametrize("kind", ["access-token", "garbage", "other-secret"])
def test_a_session_token_must_be_one(client: TestClient, kind: str) -> None:
    _, access = register(client)
    token = {
        "access-token": access,  # an access token is no session token (nor the other way round)
        "garbage": "definitely-not-a-jwt",
        "other-secret": jwt.encode(
            {"sub": "s_x", "aud": "optirec:session", "iss": "optirec", "exp": datetime.now(UTC) + timedelta(days=1)},
            "another-secret-of-sufficient-length-0123456789",
            algorithm="HS256",
        ),
    }[kind]
    response = client.post(SIGNALS, json=signal_data(customer_id=None), headers={"X-Session-Token": token})
    assert_error(response, 401, "unauthorized")
    if kind == "access-token":
        _, proof = start_session(client)
        assert_error(
            client.get("/api/customers/me", headers=auth_header(proof["X-Session-Token"])), 401, "unauthorized"
        )


def test_anonymous_shopper_writes_and_reads_only_their_own_session(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    """Regression (review item 5): a customer token could pass any session_id, read another shopper's anonymous
    history in a list ("Similar to Frame 13, which you viewed") and write signals into it."""
    client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    dave, dave_proof = start_session(client)
    assert client.post(SIGNALS, json=signal_data("d1", customer_id=None), headers=dave_proof).json()["accepted"] == 1
    with db.read() as session:
        assert session.scalar(select(Signal.session_id)) == dave  # filled in from the token
    _, mallory_token = register(client, "mallory@example.com")
    _, mallory_proof = start_session(client)
    for headers in (auth_header(mallory_token), mallory_proof, {**auth_header(mallory_token), **mallory_proof}):
        listed = client.post("/api/recommendations/personalized", json={"session_id": dave}, headers=headers)
        assert_error(listed, 403, "forbidden")
        similar = client.get(f"/api/recommendations/similar/FR-1?session_id={dave}", headers=headers)
        assert_error(similar, 403, "forbidden")
        written = client.post(SIGNALS, json=signal_data("m1", customer_id=None, session_id=dave), headers=headers)
        assert_error(written, 403, "forbidden")
    assert client.post("/api/recommendations/personalized", json={}, headers=dave_proof).status_code == 200
    named = client.post("/api/recommendations/personalized", json={"session_id": dave}, headers=dave_proof)
    assert named.status_code == 200
    assert_error(
        client.post("/api/recommendations/personalized", json={"customer_id": "c-1"}, headers=dave_proof),
        403,
        "forbidden",
    )
    with db.read() as session:
        assert session.scalars(select(Signal.event_id)).all() == ["d1"]


@pytest.mark.parametrize("how", ["register", "sign-in"])
def test_anonymous_session_signals_become_the_customers(client: TestClient, how: str) -> None:
    session_x, proof_x = start_session(client)
    _, proof_y = start_session(client)
    for i in range(3):
        client.post(SIGNALS, json=signal_data(f"a{i}", customer_id=None), headers=proof_x)
    client.post(SIGNALS, json=signal_data("b1", customer_id=None), headers=proof_y)
    if how == "register":
        body = {"email": "ada@example.com", "password": PASSWORD}
        token = client.post("/api/auth/register", json=body, headers=proof_x).json()["access_token"]
    else:
        register(client, "ada@example.com")
        form = {"username": "ada@example.com", "password": PASSWORD, "session_id": session_x}  # named and proven
        token = client.post("/api/auth/token", data=form, headers=proof_x).json()["access_token"]
    signals = client.get("/api/customers/me/export", headers=auth_header(token)).json()["signals"]
    assert sorted(s["event_id"] for s in signals) == ["a0", "a1", "a2"]


@pytest.mark.parametrize("how", ["register", "sign-in"])
def test_a_session_named_without_its_token_is_not_taken(
    client: TestClient, service_headers: dict[str, str], how: str
) -> None:
    """Regression (review item 5): registering or signing in with someone else's session_id took their anonymous
    history into the new account."""
    client.post(SIGNALS, json=signal_data("v1", customer_id=None, session_id="sess-victim"), headers=service_headers)
    if how == "register":
        body = {"email": "mallory@example.com", "password": PASSWORD, "session_id": "sess-victim"}
        response = client.post("/api/auth/register", json=body)
    else:
        register(client, "mallory@example.com")
        form = {"username": "mallory@example.com", "password": PASSWORD, "session_id": "sess-victim"}
        response = client.post("/api/auth/token", data=form, headers=start_session(client)[1])
    assert_error(response, 403, "forbidden")
    token = sign_in(client, "mallory@example.com")["access_token"] if how == "sign-in" else None
    if token is not None:
        assert client.get("/api/customers/me/export", headers=auth_header(token)).json()["signals"] == []


def test_a_session_already_linked_is_not_taken_by_a_second_customer(client: TestClient) -> None:
    _, proof = start_session(client)
    client.post(SIGNALS, json=signal_data("a0", customer_id=None), headers=proof)
    first = client.post("/api/auth/register", json={"email": "a@example.com", "password": PASSWORD}, headers=proof)
    second = client.post("/api/auth/register", json={"email": "b@example.com", "password": PASSWORD}, headers=proof)
    export = client.get("/api/customers/me/export", headers=auth_header(second.json()["access_token"])).json()
    assert export["signals"] == []
    export = client.get("/api/customers/me/export", headers=auth_header(first.json()["access_token"])).json()
    assert [s["event_id"] for s in export["signals"]] == ["a0"]


def test_service_key_still_names_any_session(client: TestClient, service_headers: dict[str, str]) -> None:
    sent = signal_data("k1", customer_id=None, session_id="shop-session-7")
    assert client.post(SIGNALS, json=sent, headers=service_headers).json()["accepted"] == 1
    listed = client.post(
        "/api/recommendations/personalized", json={"session_id": "shop-session-7"}, headers=service_headers
    )
    assert listed.status_code == 200


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "password1234", "qwertyuiop123", "ada@example.com"])
def test_register_refuses_a_guessable_password_without_echoing_it(client: TestClient, password: str) -> None:
    """Regression (review item 11): the length-10 rule accepted `aaaaaaaaaa`."""
    response = client.post("/api/auth/register", json={"email": "ada@example.com", "password": password})
    error = assert_error(response, 422, "invalid_input")
    assert "too easy to guess" in str(error["message"]) and password not in response.text.replace("ada@example.com", "")
