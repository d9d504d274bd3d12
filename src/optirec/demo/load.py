"""`optirec demo`: generate the demo shop once and load it into the database through the normal importers.

Every step is idempotent, so running `make demo` again changes nothing and starts quickly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from optirec.auth.security import hash_password
from optirec.auth.service import register_customer
from optirec.catalog.importer import import_products
from optirec.customers.importer import import_customers
from optirec.errors import OptirecError
from optirec.settings import Settings
from optirec.signals.importer import import_events
from optirec.store import Database
from optirec.store.tables import Customer, Signal
from optirec.tabular import ImportReport

DEMO_PASSWORD = "optirec-demo-2026"
ADMIN_EMAIL = "admin@demo.optirec.example"


@dataclass
class DemoLoad:
    products: ImportReport
    customers: ImportReport
    events: ImportReport
    customer_email: str
    admin_email: str
    password: str


def load_demo_shop(settings: Settings, db: Database, folder: Path, *, events: int, progress: bool) -> DemoLoad:
    """Generate the shop into `folder` unless it is there already, then import it and set demo credentials."""
    from optirec.demo.shop import generate_demo_shop

    if not (folder / "shop.json").exists():
        generate_demo_shop(folder, events=events, progress=progress)
    manifest = json.loads((folder / "shop.json").read_text(encoding="utf-8"))
    demo_email = str(manifest["demo_email"])
    _refuse_a_real_shop(db, folder / "customers.jsonl")
    with (folder / "products.jsonl").open("rb") as stream:
        products = import_products(db, stream, "jsonl")
    with (folder / "customers.jsonl").open("rb") as stream:
        customers = import_customers(db, stream)
    if _stored_signals(db) >= int(manifest["events"]):
        events_report = ImportReport(unchanged=int(manifest["events"]))  # loaded before: skip the re-read
    else:
        with (folder / "events.csv").open("rb") as stream:
            events_report = import_events(db, stream, "csv", action_types=settings.action_types)
    _ensure_login(db, demo_email, DEMO_PASSWORD)
    _ensure_admin(db, ADMIN_EMAIL, DEMO_PASSWORD)
    return DemoLoad(products, customers, events_report, demo_email, ADMIN_EMAIL, DEMO_PASSWORD)


class NotADemoDatabase(OptirecError):
    status_code = 409
    code = "not_a_demo_database"


def _refuse_a_real_shop(db: Database, customers_file: Path) -> None:
    """`NotADemoDatabase` when the database holds customers of its own: the demo would add accounts with a published
    password (one of them an administrator) and its simulated shoppers to a real shop."""
    with customers_file.open("rb") as stream:
        demo = {str(json.loads(line)["id"]) for line in stream if line.strip()}
    with db.read() as session:
        stored = session.execute(select(Customer.id, Customer.email))
        foreign = sum(1 for customer_id, email in stored if customer_id not in demo and email != ADMIN_EMAIL)
    if foreign:
        raise NotADemoDatabase(
            f"This database holds {foreign:,} customers that are not the demo shop's. `optirec demo` adds accounts "
            "with a published password, an administrator among them, so it loads only into an empty database or "
            "one it loaded before: point OPTIREC_DATABASE_URL at another database."
        )


def _stored_signals(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Signal)) or 0)


def _ensure_login(db: Database, email: str, password: str) -> None:
    with db.write() as session:
        customer = session.scalar(select(Customer).where(Customer.email == email))
        if customer is not None and customer.password_hash is None:
            customer.password_hash = hash_password(password)


def _ensure_admin(db: Database, email: str, password: str) -> None:
    with db.write() as session:
        if session.scalar(select(Customer.id).where(Customer.email == email)) is None:
            register_customer(session=session, email=email, password=password, role="admin")
