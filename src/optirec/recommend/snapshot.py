"""An in-memory snapshot of the catalog as arrays, so that filtering and scoring a request is numpy work.

Built from the database at start-up and rebuilt when the catalog changes (checked at most every few seconds);
a rebuilt snapshot replaces the old one in a single reference swap, so a request sees one or the other, never a mix.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from optirec.arrays import BoolArray
from optirec.catalog.content import product_attributes
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.vectorized import FrameArrays, frame_classes
from optirec.eyewear.wearer import Frame
from optirec.recommend.profile import (
    PROFILE_COLUMNS,
    ProfileGroups,
    attribute_codes,
    attribute_shares,
    price_bands,
)
from optirec.recommend.schemas import ProductSummary
from optirec.store import Database
from optirec.store.base import LATE_COMMIT, utcnow
from optirec.store.tables import Product

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogSnapshot:
    version: tuple[int, str]
    # The version of the catalog the arrays other than the products' availability were read at: an availability
    # update (`available`) keeps it, and what depends only on the products and their content (the model's mapping
    # onto the catalog, its index) is kept with it.
    built: tuple[int, str]
    # The version the products' availability (`active`, `sellable`) was read at: a patch of what is shown of products
    # keeps it, and the arrays, and what depends only on the products and their availability (a wearer's view) with it.
    availability: tuple[int, str]
    ids: list[str]
    index: dict[str, int]
    sellable: BoolArray  # active and in stock
    active: BoolArray
    price: npt.NDArray[np.float64]
    category: npt.NDArray[np.str_]
    brand: npt.NDArray[np.str_]
    shape: npt.NDArray[np.str_]
    rim_type: npt.NDArray[np.str_]
    material: npt.NDArray[np.str_]
    attributes: list[dict[str, Any]]
    features: npt.NDArray[np.int64]  # (n, 4) codes of brand, shape, colour, material: what "alike" means
    content: list[dict[str, str]]  # attribute tokens, as at training (for products the model has not seen)
    # (9, n) codes of `profile.PROFILE_COLUMNS` and the price band, and (9, codes) each code's share of the sellable
    # products: what a shopper's attribute profile is counted on (`profile.attribute_profile`)
    profile_codes: npt.NDArray[np.uint16]
    profile_shares: npt.NDArray[np.float64]
    profile_groups: ProfileGroups  # the same codes combined, a few columns a group (what a profile is summed on)
    frames: FrameArrays
    frame_objects: list[Frame]
    summaries: list[ProductSummary]
    rest: npt.NDArray[np.int64]  # per product, a digest of its columns but availability and `SHOWN` (`_rest_digest`)
    # Each shown product's summary as JSON, made the first time a list shows it (`summary_json`).
    _summary_json: dict[int, orjson.Fragment] = field(default_factory=dict, compare=False, repr=False)
    _rebuyable: dict[tuple[str, ...], BoolArray] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def rebuyable(self, categories: tuple[str, ...]) -> BoolArray:
        """Which products are in one of these (re-buyable) categories; computed once per snapshot."""
        found = self._rebuyable.get(categories)
        if found is None:
            found = self._rebuyable[categories] = self.frames.in_categories(categories)
        return found

    def summary_json(self, position: int) -> orjson.Fragment:
        """The product's summary as JSON, ready to embed in an answer (`orjson.Fragment`): serialised once per
        snapshot instead of in every list that shows it."""
        found = self._summary_json.get(position)
        if found is None:
            found = self._summary_json[position] = orjson.Fragment(_SUMMARY_JSON.to_json(self.summaries[position]))
        return found

    def positions(self, product_ids: list[str]) -> npt.NDArray[np.int64]:
        """Catalog positions of the ids it knows, in order; unknown ids are skipped."""
        index = self.index
        return np.array([i for p in product_ids if (i := index.get(p)) is not None], dtype=np.int64)


_SUMMARY_JSON = ProductSummary.__pydantic_serializer__


def _text(values: list[str | None]) -> npt.NDArray[np.str_]:
    return np.array([v or "" for v in values], dtype=np.str_)


def _codes(rows: list[list[str | None]]) -> npt.NDArray[np.int64]:
    """Integer codes per column (equal text, equal code; a missing value never equals another)."""
    out = np.zeros((len(rows), len(rows[0]) if rows else 0), dtype=np.int64)
    for column in range(out.shape[1]):
        codes: dict[str, int] = {}
        for row, values in enumerate(rows):
            value = values[column]
            out[row, column] = codes.setdefault(value.lower(), len(codes) + 1) if value else -(row + 1)
    return out


def _summary(product: Any) -> ProductSummary:
    return ProductSummary(
        id=product.id,
        name=product.name,
        brand=product.brand,
        category=product.category,
        shape=product.shape,
        colour=product.colour,
        material=product.material,
        rim_type=product.rim_type,
        lens_width_mm=product.lens_width_mm,
        lens_height_mm=product.lens_height_mm,
        bridge_mm=product.bridge_mm,
        price=product.price,
        currency=product.currency,
        image_url=product.image_urls[0] if product.image_urls else None,
    )


# A product's availability: what an update of these columns alone changes in a snapshot (`available`).
AVAILABILITY = ("active", "stock")
# What a shopper reads of a product, and the request filters (its price, its own attributes), but no rule, score or
# model: an update of these is patched into a snapshot too (`available`: the summary, the price and the catalogue's
# price bands, the attributes), where a rebuild read the whole catalogue for a price change.
SHOWN = ("name", "description", "price", "currency", "image_urls", "attributes")
_REST = tuple(
    column.name
    for column in Product.__table__.columns
    if column.name not in (*AVAILABILITY, *SHOWN, "created_at", "updated_at", "content_hash")
)


def _rest_digest(product: Any) -> int:
    """A digest of every column of a product's row but its availability, what is shown of it (`SHOWN`) and its
    bookkeeping (within this process)."""
    values = {key: getattr(product, key) for key in _REST}
    return hash(orjson.dumps(values, default=str, option=orjson.OPT_SORT_KEYS))


def catalog_version(session: Session) -> tuple[int, str]:
    count, latest = session.execute(select(func.count(), func.max(Product.updated_at))).one()
    return int(count), str(latest)


def build_snapshot(session: Session, rules: RuleSettings) -> CatalogSnapshot:
    version = catalog_version(session)
    # Plain objects, not ORM ones: a build reads dozens of columns of every product, and an ORM object's (or a
    # row's) attribute costs several times a plain one's (2.6 s of the 6 s a 50,000-product build took were the
    # ORM's loading and attributes).
    rows = session.execute(select(*Product.__table__.columns).order_by(Product.id))
    products = [SimpleNamespace(**row._mapping) for row in rows]
    frame_objects = [Frame.from_product(p, rules) for p in products]
    ids = [p.id for p in products]
    active = np.array([p.active for p in products], dtype=np.bool_)
    sellable = active & np.array([p.stock > 0 for p in products], dtype=np.bool_)
    price = np.array([float(p.price) for p in products], dtype=np.float64)
    profile_codes = attribute_codes([[getattr(p, c, None) for c in PROFILE_COLUMNS] for p in products], price)
    frames = FrameArrays.from_frames(frame_objects)
    frame_classes(frames, rules)  # grouped here, beside the rest of the build, not in the first list that needs it
    return CatalogSnapshot(
        version=version,
        built=version,
        availability=version,
        ids=ids,
        index={pid: i for i, pid in enumerate(ids)},
        sellable=sellable,
        active=active,
        price=price,
        category=_text([p.category for p in products]),
        brand=_text([p.brand for p in products]),
        shape=_text([p.shape for p in products]),
        rim_type=_text([p.rim_type for p in products]),
        material=_text([p.material for p in products]),
        attributes=[p.attributes or {} for p in products],
        features=_codes([[p.brand, p.shape, p.colour, p.material] for p in products]),
        content=[product_attributes(p) for p in products],
        profile_codes=profile_codes,
        profile_shares=attribute_shares(profile_codes, sellable),
        profile_groups=ProfileGroups.of(profile_codes),
        frames=frames,
        frame_objects=frame_objects,
        summaries=[_summary(p) for p in products],
        rest=np.array([_rest_digest(p) for p in products], dtype=np.int64),
    )


def available(
    session: Session, snapshot: CatalogSnapshot, version: tuple[int, str], since: datetime, most: int
) -> CatalogSnapshot | None:
    """`snapshot` with the products changed since `since` read again, at `version`, where only their availability
    (active, in stock) or what is shown of them (`SHOWN`: a price, a name, a picture, their attributes) changed;
    None where a full build is needed: a product added or removed, one whose other columns changed (what the rules,
    the scores or the model read), or more than `most` changed. The arrays that depend on what changed are made again
    (what passes and the attribute shares; the prices, their bands and the profile's groups; the summaries, and their
    JSON for the products changed); every other one is the snapshot's own, shared, and so is `built` (the model's
    mapping onto the catalogue reads none of these columns) and, where availability did not change, `availability`."""
    if version[0] != len(snapshot):
        return None
    query = select(*Product.__table__.columns).where(Product.updated_at >= since).limit(most + 1)
    changed = [SimpleNamespace(**row._mapping) for row in session.execute(query)]
    if len(changed) > most:
        return None
    active, sellable = snapshot.active.copy(), snapshot.sellable.copy()
    shown: dict[int, tuple[Any, ProductSummary]] = {}  # position: the product and its summary, where either changed
    for product in changed:
        position = snapshot.index.get(product.id)
        if position is None or _rest_digest(product) != snapshot.rest[position]:
            return None
        active[position] = product.active
        sellable[position] = product.active and product.stock > 0
        summary = _summary(product)
        if (
            summary != snapshot.summaries[position]
            or float(product.price) != snapshot.price[position]
            or (product.attributes or {}) != snapshot.attributes[position]
        ):
            shown[position] = product, summary
    same = np.array_equal(sellable, snapshot.sellable) and np.array_equal(active, snapshot.active)
    if same and not shown:
        return dataclasses.replace(snapshot, version=version)
    fields = _shown(snapshot, shown)
    if not same:
        fields |= {"active": active, "sellable": sellable, "availability": version}
    if not same or "profile_codes" in fields:
        fields["profile_shares"] = attribute_shares(fields.get("profile_codes", snapshot.profile_codes), sellable)
    return dataclasses.replace(snapshot, version=version, **fields)


def _shown(snapshot: CatalogSnapshot, products: dict[int, tuple[Any, ProductSummary]]) -> dict[str, Any]:
    """The fields of `snapshot` that change with what is shown of these products (by position, with their new
    summaries); none if none."""
    if not products:
        return {}
    price, summaries, attributes = snapshot.price.copy(), list(snapshot.summaries), list(snapshot.attributes)
    for position, (product, summary) in products.items():
        price[position] = float(product.price)
        summaries[position] = summary
        attributes[position] = product.attributes or {}
    fields: dict[str, Any] = {
        "price": price,
        "summaries": summaries,
        "attributes": attributes,
        "_summary_json": {p: j for p, j in snapshot._summary_json.items() if p not in products},
    }
    bands = price_bands(price)
    if not np.array_equal(bands, snapshot.profile_codes[-1]):  # the quintiles moved, or a product changed band
        codes = snapshot.profile_codes.copy()
        codes[-1] = bands
        fields |= {"profile_codes": codes, "profile_groups": ProfileGroups.of(codes)}
    return fields


class SnapshotCache:
    """The current snapshot. `get()` rebuilds it at once after `invalidate()` (which this process's catalog writes
    call, so that a write is seen by the next list), and the first time. Every `check_seconds` otherwise, a background
    thread checks whether another process changed the catalog and rebuilds it if so, while requests keep the current
    one: the check counts every product (milliseconds on a large shop), and the rebuild reads them all (seconds),
    which in the event loop held every request of the worker.

    Where only products' availability or what is shown of them changed since the last read (their stock or active
    flag, a price, a name, a picture: what a shop changes all day), the products changed are read alone (`available`,
    from `OVERLAP` before the last read) instead of the whole catalog: a full build of 50,000 products took 4.4 s of
    CPU, in the event loop of the worker that took the write and beside the lists of every other one, and a stock
    change every two seconds held the lists for seconds (a price change every two seconds: a p99 of 12.9 s)."""

    OVERLAP = LATE_COMMIT  # changes stamped this long before the last read are read again
    MOST_CHANGED = 2000  # more products changed than this since the last read: read them all

    def __init__(self, db: Database, rules: RuleSettings, *, check_seconds: float = 5.0) -> None:
        self._db, self._rules, self._check_seconds = db, rules, check_seconds
        self._snapshot: CatalogSnapshot | None = None
        self._read_at: datetime | None = None  # when the snapshot was last read from the database
        self._checked_at = 0.0
        self._dirty = True
        self._lock = threading.Lock()  # one check or build at a time
        self._checking = False  # a background check is running
        self._flag = threading.Lock()  # guards `_checking` only: never held during a check
        self.on_build: Callable[[], None] | None = None  # runs after each new snapshot (the app freezes it)

    def get(self) -> CatalogSnapshot:
        snapshot = self._snapshot
        if snapshot is not None and not self._dirty:
            if time.monotonic() - self._checked_at >= self._check_seconds and not self._checking:
                self._check_in_background()
            return snapshot
        with self._lock:
            if self._snapshot is None or self._dirty:
                self._check()
            snapshot = self._snapshot
            assert snapshot is not None
            return snapshot

    def _check(self) -> None:
        """Rebuild the snapshot if the catalog changed (the caller holds the lock)."""
        # Cleared before reading: a change committed while we build marks it dirty again.
        self._dirty = False
        read_at = utcnow()
        with self._db.read() as session:
            snapshot = self._snapshot
            version = catalog_version(session)
            built = snapshot is None or version != snapshot.version
            if built:
                updated = None
                if snapshot is not None and self._read_at is not None:
                    since = self._read_at - self.OVERLAP
                    updated = available(session, snapshot, version, since, self.MOST_CHANGED)
                self._snapshot = updated if updated is not None else build_snapshot(session, self._rules)
                self._read_at = read_at
        self._checked_at = time.monotonic()
        if built and self.on_build is not None:
            self.on_build()

    def _check_in_background(self) -> None:
        with self._flag:
            if self._checking:
                return
            self._checking = True
        threading.Thread(target=self._run_check, name="optirec-catalog-check", daemon=True).start()

    def _run_check(self) -> None:
        try:
            with self._lock:
                self._check()
        except Exception:  # keep serving the current snapshot; try again after the interval
            log.exception("could not check the catalog for changes")
            self._checked_at = time.monotonic()
        finally:
            self._checking = False

    def invalidate(self) -> None:
        self._dirty = True
