"""The shopper's attribute profile: which shapes, colours, materials, brands, rims, audiences and price bands their
latest signals lean towards, as a score of every product.

An ID-based model learns a product from the shoppers who met it; a shopper whose taste is "round acetate frames
under 150 EUR" shows it in their signals long before the model has seen them with each such frame. For every
attribute, the profile compares the share of the shopper's signals that hold each value with that value's share of
the catalogue (smoothed towards it by `PROFILE_PRIOR` pseudo-signals): a product scores the sum over its attributes
of the log of that lift. A shopper without signals gets zero everywhere (no opinion). Pure functions on arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optirec.arrays import BoolArray, FloatArray, IntArray
from optirec.recommend.kernels import summed_lifts

PROFILE_COLUMNS = ("category", "brand", "shape", "material", "colour", "rim_type", "audience", "gender")
PRICE_BANDS = 5  # the catalogue's prices cut at its quintiles: one more attribute
PROFILE_PRIOR = 10.0  # pseudo-signals at the catalogue's shares: a few signals move the profile only a little
MAX_CODE = 65_535  # codes are uint16 (the compiled sum reads half of what int32 would); later values share the last
TABLE_MOST = 4096  # a group of columns: at most this many combinations of values (a table of 32 kB per shopper)
Codes = npt.NDArray[np.uint16]


def attribute_codes(values: Sequence[Sequence[str | None]], prices: FloatArray) -> Codes:
    """(n_columns + 1, n_products) codes, one row per column (what the compiled sum reads in order), 0 for a missing
    value (equal text, equal code; past `MAX_CODE` distinct values, the rest share one); the last row is the price
    band."""
    n = len(values)
    columns = len(values[0]) if n else 0
    out = np.zeros((columns + 1, n), dtype=np.uint16)
    for column in range(columns):
        codes: dict[str, int] = {}
        for row, product in enumerate(values):
            value = product[column]
            if value:
                out[column, row] = codes.setdefault(value.strip().lower(), min(len(codes) + 1, MAX_CODE))
    if n:
        out[columns] = price_bands(prices)
    return out


def price_bands(prices: FloatArray) -> Codes:
    """Each product's price band, 0 to `PRICE_BANDS` − 1: the catalogue's prices cut at their quintiles (the last
    row of `attribute_codes`)."""
    cuts = np.quantile(prices, np.linspace(0.0, 1.0, PRICE_BANDS + 1)[1:-1])
    return np.searchsorted(cuts, prices, side="right").astype(np.uint16)


def attribute_shares(codes: Codes, where: BoolArray) -> FloatArray:
    """(n_columns, most codes) each code's share among the `where` products, floored at one product (no share is 0;
    the padding of a column with fewer codes is never read)."""
    count = max(int(where.sum()), 1)
    width = int(codes.max(initial=0)) + 1
    held = np.ones((codes.shape[0], width))
    for row, column in enumerate(codes):
        held[row] = np.bincount(column[where], minlength=width)
    return np.asarray(np.maximum(held, 1.0) / count, dtype=np.float64)


def attribute_profile(codes: Codes, shares: FloatArray, history: IntArray, prior: float = PROFILE_PRIOR) -> FloatArray:
    """Each product's score for a shopper whose signals are on the products `history` (positions, repeats count):
    Σ over columns of log((signals with its value + prior × share) / ((signals + prior) × share))."""
    if history.size == 0:
        return np.zeros(codes.shape[1], dtype=np.float64)
    return ShopperProfile.of(ProfileGroups.of(codes), codes, shares, history, prior).everywhere()


@dataclass(frozen=True)
class ProfileGroups:
    """The profile's columns packed, in order, into groups of at most `TABLE_MOST` combinations of values, and each
    product's combination in each group: a shopper's profile is then a sum of a few lookups per product (one per
    group, in a table of the group's summed lifts) instead of one per column. Built once per catalogue snapshot."""

    columns: tuple[tuple[int, ...], ...]  # the columns of each group
    widths: tuple[int, ...]  # per column, its codes (the largest + 1)
    codes: Codes  # (groups, n) each product's combination: its codes in the group's columns, read as digits

    @classmethod
    def of(cls, codes: Codes) -> ProfileGroups:
        widths = tuple(int(column.max(initial=0)) + 1 for column in codes)
        groups: list[tuple[int, ...]] = []
        current: list[int] = []
        combinations = 1
        for column, width in enumerate(widths):
            if current and combinations * width > TABLE_MOST:
                groups.append(tuple(current))
                current, combinations = [], 1
            current.append(column)
            combinations *= width
        if current:
            groups.append(tuple(current))
        combined = np.zeros((len(groups), codes.shape[1]), dtype=np.uint16)
        for row, group in enumerate(groups):
            digits = np.zeros(codes.shape[1], dtype=np.int64)
            for column in group:
                digits = digits * widths[column] + codes[column]
            combined[row] = digits
        return cls(tuple(groups), widths, combined)


@dataclass(frozen=True)
class ShopperProfile:
    """One shopper's attribute profile, asked where it is needed: over the whole catalogue (`everywhere`) or at some
    positions (`at`); `approximate.best_base` reads its codes and tables in its own pass. Each product's score is
    the sum, group by group (`ProfileGroups`), of its combination's summed lifts."""

    codes: Codes  # (groups, n) the catalogue's combinations (`ProfileGroups.codes`)
    tables: FloatArray  # (groups, most combinations) each combination's summed log-lifts for this shopper

    @classmethod
    def of(cls, groups: ProfileGroups, codes: Codes, shares: FloatArray, history: IntArray,
           prior: float = PROFILE_PRIOR) -> ShopperProfile:  # fmt: skip
        """The profile of a shopper whose signals are on the products `history` (positions, repeats count; not
        empty); `codes` and `shares` per column, as `attribute_codes` and `attribute_shares` give them."""
        columns, width = shares.shape  # one count of every column's codes: column c's code v at c × width + v
        at = codes[:, history].astype(np.int64) + (np.arange(columns, dtype=np.int64) * width)[:, None]
        held = np.bincount(at.ravel(), minlength=columns * width).reshape(columns, width)
        lifts = np.log((held + prior * shares) / ((float(history.size) + prior) * shares))
        sizes = [math.prod(groups.widths[column] for column in group) for group in groups.columns]
        tables = np.zeros((len(sizes), max(sizes, default=0)))
        for row, group in enumerate(groups.columns):
            table = lifts[group[0], : groups.widths[group[0]]]
            for column in group[1:]:
                table = (table[:, None] + lifts[column, : groups.widths[column]][None, :]).ravel()
            tables[row, : table.size] = table
        return cls(groups.codes, tables)

    def everywhere(self) -> FloatArray:
        """Every product's score (one compiled pass over the catalogue)."""
        return summed_lifts(self.codes, self.tables)

    def at(self, positions: IntArray) -> FloatArray:
        """The score of the products at these positions."""
        return summed_lifts(np.ascontiguousarray(self.codes[:, positions]), self.tables)
