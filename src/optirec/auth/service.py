"""Accounts, logins and API keys. Plain functions over a session; they raise `optirec.errors`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from optirec.auth.security import Role, digest_api_key, hash_password, new_api_key, verify_password
from optirec.errors import Conflict, Forbidden, NotFound, Unauthorized, shown
from optirec.store import utcnow
from optirec.store.tables import ApiKey, Customer

# Who a request comes from: an account's role, or an anonymous shopper who holds only a session token.
CallerRole = Role | Literal["session"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: a customer's token (`customer_id` set), a server's API key (`key_id` set) or an anonymous
    shopper's session token (role `session`). `session_id` is the anonymous session whose token came with the
    request (`X-Session-Token`): the one session a customer or an anonymous shopper may read, write and link."""

    role: CallerRole
    customer_id: str | None = None
    key_id: str | None = None
    session_id: str | None = None

    @property
    def is_server(self) -> bool:
        return self.key_id is not None

    @property
    def kind(self) -> str:
        """The kind of caller, as the access log names it (never who)."""
        return "key" if self.is_server else "session" if self.role == "session" else "customer"


def acting_customer(principal: Principal, customer_id: str | None) -> str | None:
    """The customer a request acts for: a customer's token stands for that customer only, an anonymous session for
    no customer; a server (or an administrator) names whom it acts for."""
    if principal.role == "customer":
        if customer_id is not None and customer_id != principal.customer_id:
            raise Forbidden("A customer may act only for themselves.")
        return principal.customer_id
    if principal.role == "session":
        if customer_id is not None:
            raise Forbidden("An anonymous session may not act for a customer: sign in first.")
        return None
    return customer_id


def acting_session(principal: Principal, session_id: str | None) -> str | None:
    """The anonymous session a request acts for. A customer or an anonymous shopper may name only the session whose
    token they sent (`X-Session-Token`), and an anonymous shopper's own session is filled in; a server (or an
    administrator) may name any session."""
    if principal.role not in ("customer", "session"):
        return session_id
    if session_id is None:
        return principal.session_id if principal.role == "session" else None
    if session_id != principal.session_id:
        raise Forbidden("An anonymous session is reached only with its own session token (X-Session-Token).")
    return session_id


def register_customer(*, session: Session, email: str, password: str, role: Role = "customer") -> Customer:
    email = email.strip().lower()
    if session.scalar(select(Customer.id).where(Customer.email == email)) is not None:
        raise Conflict("An account with this e-mail address already exists.")
    customer = Customer(id=f"c_{uuid.uuid4().hex[:20]}", email=email, password_hash=hash_password(password), role=role)
    session.add(customer)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("An account with this e-mail address already exists.") from None
    return customer


def authenticate(*, session: Session, email: str, password: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.email == email.strip().lower()))
    if not verify_password(customer.password_hash if customer else None, password) or customer is None:
        raise Unauthorized("Wrong e-mail address or password.")
    return customer


def create_api_key(*, session: Session, name: str, role: Role) -> tuple[ApiKey, str]:
    """A new key and its secret, which is returned this once and never stored."""
    key_id, secret, digest = new_api_key()
    api_key = ApiKey(id=key_id, name=name, role=role, key_hash=digest)
    session.add(api_key)
    session.flush()
    return api_key, secret


def list_api_keys(*, session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke_api_key(*, session: Session, key_id: str) -> ApiKey:
    api_key = session.get(ApiKey, key_id)
    if api_key is None:
        raise NotFound(f"No API key with id {shown(key_id)}.")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
    return api_key


def principal_for_api_key(*, session: Session, key: str) -> Principal:
    row = session.execute(
        select(ApiKey.id, ApiKey.role, ApiKey.revoked_at).where(ApiKey.key_hash == digest_api_key(key))
    ).one_or_none()
    if row is None:
        raise Unauthorized("The API key is not valid.")
    if row.revoked_at is not None:
        raise Unauthorized("The API key has been revoked.")
    return Principal(role=cast(Role, row.role), key_id=row.id)


def principal_for_customer(*, session: Session, customer_id: str) -> Principal:
    role = session.scalar(select(Customer.role).where(Customer.id == customer_id))
    if role is None:
        raise Unauthorized("The account of this access token no longer exists.")
    return Principal(role=cast(Role, role), customer_id=customer_id)
