"""Catalog service functions on a real session: create, update, deactivate, list, bulk upsert, known ids."""

from __future__ import annotations

import io

import orjson
import pytest

from optirec.catalog import service
from optirec.catalog.importer import import_products
from optirec.catalog.schemas import ProductCreate, ProductFilter, ProductUpdate
from optirec.errors import Conflict, InvalidInput, NotFound
from optirec.store import Database
from optirec.tabular import ImportReport
from tests.conftest import product_data


def create(db: Database, product_id: str, **overrides: object) -> None:
    with db.write() as session:
        service.create_product(session=session, data=ProductCreate(**product_data(product_id, **overrides)))


def test_create_twice_is_a_conflict_and_get_of_an_unknown_id_not_found(db: Database) -> None:
    create(db, "FR-1")
    with pytest.raises(Conflict):
        create(db, "FR-1")
    with db.read() as session, pytest.raises(NotFound):
        service.get_product(session=session, product_id="nope")


def test_update_that_breaks_a_cross_field_rule_changes_nothing(db: Database) -> None:
    create(db, "FR-1")
    with pytest.raises(InvalidInput, match=r"1\.2 ×"), db.write() as session:
        service.update_product(session=session, product_id="FR-1", data=ProductUpdate(lens_height_mm=65))
    with db.read() as session:
        assert service.get_product(session=session, product_id="FR-1").lens_height_mm == 42


def test_update_refreshes_the_content_hash_so_a_reimport_sees_the_change(db: Database) -> None:
    create(db, "FR-1")
    with db.write() as session:
        service.update_product(session=session, product_id="FR-1", data=ProductUpdate(stock=0))
    report = ImportReport()
    with db.write() as session:
        service.upsert_products(session=session, rows=[ProductCreate(**product_data("FR-1"))], report=report)
    with db.read() as session:
        assert (report.updated, service.get_product(session=session, product_id="FR-1").stock) == (1, 5)


def test_deactivate_is_idempotent(db: Database) -> None:
    create(db, "FR-1")
    with db.write() as session:
        first = service.deactivate_product(session=session, product_id="FR-1").updated_at
    with db.write() as session:
        again = service.deactivate_product(session=session, product_id="FR-1")
        assert (again.active, again.updated_at) == (False, first)


def test_upsert_with_the_same_id_twice_in_one_chunk_keeps_the_later_row(db: Database) -> None:
    report = ImportReport()
    rows = [ProductCreate(**product_data("FR-1", stock=1)), ProductCreate(**product_data("FR-1", stock=9))]
    with db.write() as session:
        service.upsert_products(session=session, rows=rows, report=report)
    with db.read() as session:
        assert service.get_product(session=session, product_id="FR-1").stock == 9
    assert report.created == 1


def test_list_search_matches_name_brand_and_description_case_insensitively(db: Database) -> None:
    create(db, "FR-1", name="Aria", brand="Lumen", description="Light titanium.")
    create(db, "FR-2", name="Bold", brand="Nord", description="Heavy acetate.")
    for words, expected in (("aria", ["FR-1"]), ("NORD", ["FR-2"]), ("titan", ["FR-1"]), ("zzz", [])):
        with db.read() as session:
            products, total = service.list_products(session=session, filters=ProductFilter(q=words))
        assert [p.id for p in products] == expected and total == len(expected)


def test_known_product_ids_over_many_chunks(db: Database) -> None:
    create(db, "FR-1")
    create(db, "FR-2")
    asked = [f"X-{i}" for i in range(2000)] + ["FR-2"]
    with db.read() as session:
        assert service.known_product_ids(session=session, product_ids=asked) == {"FR-2"}
        assert service.all_product_ids(session=session) == {"FR-1", "FR-2"}


def test_search_treats_like_wildcards_as_plain_characters(db: Database) -> None:
    # Regression: `q=%` used to match every product.
    with db.write() as session:
        service.create_product(session=session, data=ProductCreate.model_validate(product_data("A", name="Plain")))
        service.create_product(session=session, data=ProductCreate.model_validate(product_data("B", name="100% ti")))
    with db.read() as session:
        found, total = service.list_products(session=session, filters=ProductFilter(q="%"))
    assert [p.id for p in found] == ["B"] and total == 1


def test_a_deactivated_product_comes_back_when_the_shop_file_is_imported_again(db: Database) -> None:
    line = orjson.dumps(product_data("C")) + b"\n"
    import_products(db, io.BytesIO(line), "jsonl")
    with db.write() as session:
        service.deactivate_product(session=session, product_id="C")
    report = import_products(db, io.BytesIO(line), "jsonl")
    assert report.updated == 1
    with db.read() as session:
        assert service.get_product(session=session, product_id="C").active is True
