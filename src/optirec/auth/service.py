"""Accounts, logins and API keys. Plain functions over a session; they raise `optirec.errors`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from optirec.auth.models import ApiKey
from optirec.auth.security import Role, digest_api_key, hash_password, new_api_key, verify_password
from optirec.customers.models import Customer
from optirec.db import utcnow
from optirec.errors import Conflict, NotFound, Unauthorized
from optirec.signals.models import Signal


@dataclass(frozen=True)
class Principal:
    """Who is calling: a customer's token (`customer_id` set) or a server's API key (`key_id` set)."""

    role: Role
    customer_id: str | None = None
    key_id: str | None = None

    @property
    def is_server(self) -> bool:
        return self.key_id is not None


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


def link_session(*, session: Session, customer_id: str, session_id: str) -> int:
    """Give the anonymous session's signals to the customer who just signed in; returns how many moved."""
    result = session.execute(
        update(Signal)
        .where(Signal.session_id == session_id, Signal.customer_id.is_(None))
        .values(customer_id=customer_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


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
        raise NotFound(f"No API key with id {key_id!r}.")
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
