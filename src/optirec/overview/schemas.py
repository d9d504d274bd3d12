"""The overview's answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from optirec.training.registry import ModelVersionPublic


class HourCount(BaseModel):
    hour: datetime  # the start of the hour, UTC
    count: int


class IntakeHour(BaseModel):
    hour: datetime  # the start of the hour, UTC
    accepted: int  # new signals stored that hour (by when they arrived)
    duplicates: int  # signals acknowledged but not stored again (their event_id was already stored)
    rejected: int  # signals refused with an error to their sender
    unknown_products: int  # of the accepted, signals about a product the catalog did not hold


class SignalIntake(BaseModel):
    """What the intake answered, per hour of the last 24 (UTC), oldest first, every hour present: counted by each
    serving process and import as it answers (`signals.intake`), written every few seconds."""

    hours: list[IntakeHour]
    accepted: int
    duplicates: int
    rejected: int
    unknown_products: int


class Activity(BaseModel):
    """The overview's counts that read the big tables (signals, served lists): counted in the background and reused
    for `OPTIREC_CONSOLE_CACHE_SECONDS` (`overview.cache`)."""

    signals: int  # every signal stored
    signals_last_24h: dict[str, int]  # by action type, signals that occurred in the last 24 hours
    signals_per_hour: list[HourCount]  # the last 24 hours, oldest first, every hour present
    last_signal_at: datetime | None
    lists_served: int
    lists_served_last_24h: int


class Overview(Activity):
    products: int  # active products
    products_in_stock: int
    customers: int  # customer accounts (administrators not counted)
    live_model: ModelVersionPublic | None
    counted_at: datetime  # when the activity counts (signals, lists) were counted
