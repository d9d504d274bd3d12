"""Catalog operations: create, update, get, list, deactivate, and idempotent bulk upsert."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.orm import Session

from optirec.catalog.schemas import ProductCreate, ProductFilter, ProductUpdate, check_consistency
from optirec.errors import Conflict, InvalidInput, NotFound, shown
from optirec.store import utcnow
from optirec.store.tables import Product
from optirec.tabular import ImportReport

# Defaults of the columns a create may leave out.
_DEFAULTS: dict[str, Any] = {
    "audience": "adults",
    "rx_capable": True,
    "progressive": False,
    "description": "",
    "image_urls": [],
    "attributes": {},
    "active": True,
}


def _row(data: ProductCreate) -> dict[str, Any]:
    """The column values of a validated product, defaults filled, with the hash of its content."""
    values = {**_DEFAULTS, **data.model_dump(exclude_none=True)}
    values["content_hash"] = _content_hash(values)
    return values


def _content_hash(values: dict[str, Any]) -> str:
    skip = ("content_hash", "created_at", "updated_at")
    content = {k: v for k, v in values.items() if k not in skip and v is not None}
    payload = orjson.dumps(content, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(payload).hexdigest()


def get_product(*, session: Session, product_id: str) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product with id {shown(product_id)}.")
    return product


def create_product(*, session: Session, data: ProductCreate) -> Product:
    if session.get(Product, data.id) is not None:
        raise Conflict(f"A product with id {shown(data.id)} already exists; update it with PATCH.")
    product = Product(**_row(data))
    session.add(product)
    session.flush()
    return product


def update_product(*, session: Session, product_id: str, data: ProductUpdate) -> Product:
    product = get_product(session=session, product_id=product_id)
    changes = data.model_dump(exclude_unset=True)
    for required in ("name", "category", "price", "currency", "stock"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be cleared.", details=[{"field": required}])
    merged = {column: getattr(product, column) for column in ProductCreate.model_fields if column != "id"}
    merged.update(changes)
    try:
        check_consistency({k: v for k, v in merged.items() if v is not None})
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    for column, value in changes.items():
        setattr(product, column, _DEFAULTS.get(column) if value is None and column in _DEFAULTS else value)
    product.content_hash = _content_hash({c: getattr(product, c) for c in ProductCreate.model_fields})
    product.updated_at = utcnow()
    session.flush()
    return product


def deactivate_product(*, session: Session, product_id: str) -> Product:
    product = get_product(session=session, product_id=product_id)
    if product.active:
        product.active = False
        # Like a PATCH: the content changed, so importing the shop's file again (active) brings it back.
        product.content_hash = _content_hash({c: getattr(product, c) for c in ProductCreate.model_fields})
        product.updated_at = utcnow()
    return product


def _filtered(query: Select[Any], filters: ProductFilter) -> Select[Any]:
    conditions = []
    for column in ("category", "brand", "shape", "rim_type"):
        value = getattr(filters, column)
        if value is not None:
            conditions.append(getattr(Product, column) == (value.lower() if column in ("category", "shape") else value))
    if filters.material is not None:
        conditions.append(func.lower(Product.material) == filters.material.strip().lower())
    if filters.price_min is not None:
        conditions.append(Product.price >= filters.price_min)
    if filters.price_max is not None:
        conditions.append(Product.price <= filters.price_max)
    if filters.in_stock is not None:
        conditions.append(Product.stock > 0 if filters.in_stock else Product.stock == 0)
    if filters.active is not None:
        conditions.append(Product.active.is_(filters.active))
    if filters.q:
        words = filters.q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{words}%"
        columns = (Product.name, Product.brand, Product.description)
        conditions.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in columns)))
    return query.where(*conditions)


def list_products(*, session: Session, filters: ProductFilter) -> tuple[list[Product], int]:
    total = session.scalar(_filtered(select(func.count()).select_from(Product), filters)) or 0
    query = _filtered(select(Product), filters).order_by(Product.id).limit(filters.limit).offset(filters.offset)
    return list(session.scalars(query)), total


def search_product_ids(*, session: Session, q: str) -> list[str]:
    """The ids of the products (active or not) whose name, brand or description hold these words, as the list's
    `q` finds them."""
    return list(session.scalars(_filtered(select(Product.id), ProductFilter(q=q, active=None))))


def products_by_id(*, session: Session, product_ids: Sequence[str]) -> list[Product]:
    """These products in this order (ids the catalog does not hold are left out)."""
    found = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(list(product_ids))))}
    return [found[pid] for pid in product_ids if pid in found]


def known_product_ids(*, session: Session, product_ids: Iterable[str]) -> set[str]:
    ids = list(set(product_ids))
    known: set[str] = set()
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        known.update(session.scalars(select(Product.id).where(Product.id.in_(chunk))))
    return known


def upsert_products(*, session: Session, rows: Sequence[ProductCreate], report: ImportReport) -> None:
    """Insert new products, update changed ones, leave identical ones untouched (so a re-import is a no-op)."""
    values = {row.id: _row(row) for row in rows}  # a later line with the same id wins
    query = select(Product.id, Product.content_hash).where(Product.id.in_(list(values)))
    existing: dict[str, str] = {pid: digest for pid, digest in session.execute(query)}
    now = utcnow()
    new = [{**v, "created_at": now, "updated_at": now} for pid, v in values.items() if pid not in existing]
    changed = [v for pid, v in values.items() if pid in existing and existing[pid] != v["content_hash"]]
    if new:
        session.execute(insert(Product), new)
    for row in changed:
        session.execute(update(Product).where(Product.id == row["id"]).values(**row, updated_at=now))
    report.created += len(new)
    report.updated += len(changed)
    report.unchanged += len(values) - len(new) - len(changed)


def all_product_ids(*, session: Session) -> set[str]:
    """Every product id of the catalog, active or not (for bulk loads that must tell known from unknown)."""
    return set(session.scalars(select(Product.id)))
