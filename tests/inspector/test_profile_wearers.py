"""The console's arrays of every customer's profile (`inspector.products.ProfileWearers`): after the first build, only
the profiles changed since are read and an erased customer's row is dropped, and the arrays always equal a full
build's."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from optirec.customers.schemas import CustomerUpsert, ProfileFields
from optirec.customers.service import update_profile, upsert_customer
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.population import WearerArrays
from optirec.inspector.products import Population, ProfileWearers
from optirec.privacy.service import delete_customer
from optirec.store import Database
from optirec.store.tables import CustomerProfile

RX = {"right": {"sph": -2.25, "cyl": -0.5, "axis": 90}, "left": {"sph": -2.0}}


def _by_customer(population: Population) -> dict[str, tuple[Any, ...]]:
    """Each customer's row of the arrays, by their id: what the arrays hold, whatever the rows' order."""
    columns = [getattr(population.wearers, column.name) for column in fields(population.wearers)]
    assert all(len(column) == len(population.rows) for column in columns)
    return {customer: tuple(column[row].item() for column in columns) for customer, row in population.rows.items()}


def _full(db: Database) -> dict[str, tuple[Any, ...]]:
    return _by_customer(ProfileWearers(db, RuleSettings(), seconds=0).get())


class Counting(ProfileWearers):
    REBUILD_SHARE = 1.0  # a shop of a few customers: a change is a large share of it
    builds = 0

    def _build(self, session: Any) -> tuple[WearerArrays, dict[str, int]]:
        self.builds += 1
        return super()._build(session)


def test_changed_and_new_profiles_are_read_alone_and_an_erased_customer_is_dropped(db: Database) -> None:
    with db.write() as session:
        for k in range(4):
            upsert_customer(session=session, customer_id=f"c{k}", data=CustomerUpsert(face_width_mm=130.0 + k))
    wearers = Counting(db, RuleSettings(), seconds=0)  # seconds=0: checked on every get
    assert _by_customer(wearers.get()) == _full(db) and wearers.builds == 1

    with db.write() as session:
        update_profile(session=session, customer_id="c1", changes=ProfileFields(prescription=RX, pd_mm=63.0))
        upsert_customer(session=session, customer_id="c9", data=CustomerUpsert(face_width_mm=141.0))
    population = wearers.get()
    assert wearers.builds == 1, "two changed profiles are read alone"
    assert _by_customer(population) == _full(db) and population.customers == 5
    assert population.wearers.has_rx[population.rows["c1"]] and population.wearers.face[population.rows["c9"]] == 141

    with db.write() as session:
        delete_customer(session=session, customer_id="c1")
    population = wearers.get()
    assert wearers.builds == 1 and "c1" not in population.rows and len(population.wearers) == 4
    assert not population.wearers.has_rx.any(), "the erased customer's prescription left the arrays"
    assert _by_customer(population) == _full(db)


@pytest.mark.parametrize("late", [timedelta(seconds=30), timedelta(minutes=10)])
def test_a_change_that_commits_after_a_read_is_read_next_time_within_the_overlap(db: Database, late: timedelta) -> None:
    """A change stamped before a read may commit after it (concurrent writers, another host's clock): the next read
    goes back `OVERLAP` before the last one. Stamped further back than that, it is missed (the test shows the
    bound)."""
    with db.write() as session:
        for k in range(3):
            upsert_customer(session=session, customer_id=f"c{k}", data=CustomerUpsert(face_width_mm=130.0 + k))
    wearers = Counting(db, RuleSettings(), seconds=0)
    read_at = wearers.get().read_at
    assert read_at is not None
    with db.write() as session:  # c0 changed, stamped `late` before the read; c2 changed after it
        session.execute(
            update(CustomerProfile)
            .where(CustomerProfile.customer_id == "c0")
            .values(face_width_mm=150.0, updated_at=read_at - late)
        )
        update_profile(session=session, customer_id="c2", changes=ProfileFields(face_width_mm=149.0))
    population = wearers.get()
    assert wearers.builds == 1
    seen = population.wearers.face[population.rows["c0"]]
    assert seen == (150.0 if late < ProfileWearers.OVERLAP else 130.0)
    assert population.wearers.face[population.rows["c2"]] == 149.0


def test_many_changed_profiles_are_read_again_whole(db: Database) -> None:
    with db.write() as session:
        for k in range(10):
            upsert_customer(session=session, customer_id=f"c{k}", data=CustomerUpsert(face_width_mm=130.0 + k))
    wearers = Counting(db, RuleSettings(), seconds=0)
    wearers.REBUILD_SHARE, wearers.OVERLAP = 0.2, timedelta(0)  # (here every profile changed within the overlap)
    wearers.get()
    with db.write() as session:
        update_profile(session=session, customer_id="c3", changes=ProfileFields(pd_mm=61.0))
    wearers.get()
    assert wearers.builds == 1
    with db.write() as session:
        for k in range(3):
            update_profile(session=session, customer_id=f"c{k}", changes=ProfileFields(pd_mm=62.0))
    assert _by_customer(wearers.get()) == _full(db) and wearers.builds == 2
