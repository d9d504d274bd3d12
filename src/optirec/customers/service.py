"""Customer profiles: read, update, load from the shop. (Exporting and erasing everything held on a customer, their
signals and served lists included, is `optirec.privacy`'s.)"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from optirec.customers.schemas import (
    CustomerImport,
    CustomerPublic,
    CustomerUpsert,
    ProfileFields,
    ProfilePublic,
)
from optirec.errors import Conflict, Forbidden, NotFound, shown
from optirec.store import utcnow
from optirec.store.tables import Customer, CustomerProfile
from optirec.tabular import ImportReport

PROFILE_FIELDS = tuple(ProfileFields.model_fields)


# The account roles a shop's server (a service key) manages: its customers, never an administrator.
SERVICE_MANAGES = frozenset({"customer"})


def get_customer(*, session: Session, customer_id: str, roles: frozenset[str] | None = None) -> Customer:
    """The customer; with `roles`, only an account of one of those roles (the caller may manage no other)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {shown(customer_id)}.")
    _check_manages(customer, roles)
    return customer


def _check_manages(customer: Customer, roles: frozenset[str] | None) -> None:
    if roles is not None and customer.role not in roles:
        raise Forbidden(
            f"This key manages {' and '.join(sorted(roles))} accounts only; this one is an {customer.role}'s."
        )


def to_public(customer: Customer) -> CustomerPublic:
    profile = customer.profile
    values = {f: getattr(profile, f) for f in PROFILE_FIELDS} if profile else {}
    public_profile = ProfilePublic.model_validate({k: v for k, v in values.items() if v is not None})
    return CustomerPublic(
        id=customer.id,
        email=customer.email,
        role=customer.role,
        created_at=customer.created_at,
        profile=public_profile,
    )


def _apply(customer: Customer, changes: ProfileFields) -> None:
    """Write the fields that were sent (`null` clears one) into the customer's profile."""
    profile = customer.profile
    if profile is None:
        profile = CustomerProfile(customer_id=customer.id, preferences={}, consent={})
        customer.profile = profile
    dumped = changes.model_dump(mode="json", include=set(PROFILE_FIELDS) & changes.model_fields_set)
    for field, value in dumped.items():
        if field in ("preferences", "consent") and value is None:
            value = {}
        setattr(profile, field, value)
    profile.updated_at = utcnow()


def update_profile(*, session: Session, customer_id: str, changes: ProfileFields) -> Customer:
    customer = get_customer(session=session, customer_id=customer_id)
    _apply(customer, changes)
    session.flush()
    return customer


def upsert_customer(
    *, session: Session, customer_id: str, data: CustomerUpsert, roles: frozenset[str] | None = None
) -> tuple[Customer, bool]:
    """Create or update a customer the shop's server knows by its own id; (customer, created). With `roles`, an
    existing account of another role is refused (`Forbidden`) and left as it is."""
    customer = session.get(Customer, customer_id)
    if customer is not None:
        _check_manages(customer, roles)
    email = data.email.lower() if data.email is not None else None
    # Checked before anything changes, so that a refused row leaves the session clean for the next one.
    if email is not None and (customer is None or email != customer.email):
        taken = session.scalar(select(Customer.id).where(Customer.email == email))
        if taken is not None and taken != customer_id:
            raise Conflict("Another customer already has this e-mail address.")
    created = customer is None
    if customer is None:
        customer = Customer(id=customer_id, role="customer")
        session.add(customer)
    if email is not None:
        customer.email = email
    _apply(customer, data)
    session.flush()
    return customer, created


def import_customers(
    *,
    session: Session,
    rows: Sequence[tuple[int, CustomerImport]],
    report: ImportReport,
    roles: frozenset[str] | None = None,
) -> None:
    """Upsert each (line, customer); a row whose e-mail address another customer has, or whose id is an account the
    caller may not manage (`roles`), is reported and skipped."""
    for line, row in rows:
        existing = session.get(Customer, row.id)
        before = to_public(existing).profile.model_dump() if existing else None
        try:
            customer, created = upsert_customer(session=session, customer_id=row.id, data=row, roles=roles)
        except (Conflict, Forbidden) as error:
            report.reject(line, row.id, error.message)
            continue
        if created:
            report.created += 1
        elif to_public(customer).profile.model_dump() != before:
            report.updated += 1
        else:
            report.unchanged += 1
