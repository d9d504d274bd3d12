"""`Input`: the base of every model that takes a caller's input (a request body, a query, an imported row).

Two things no field type says and no backend takes alike: a NUL character in text (PostgreSQL refuses it, SQLite keeps
it) and a number that is not finite (NaN and Infinity, which the standard JSON parser accepts). Both are refused here,
before any field is validated, wherever they hide (dictionary keys and values, lists, nested objects), with the place
they were found, so that every backend answers 422 instead of a 500 from the database.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, model_validator

from optirec.errors import clipped

MAX_DEPTH = 32  # deeper input is left to the fields' own validation (no model here nests that deep)


class Input(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data: Any) -> Any:
        _check(data, (), 0)
        return data


def _check(value: Any, where: tuple[str, ...], depth: int) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{_place(where)}holds a NUL character (\\u0000), which text may not contain")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{_place(where)}must be a finite number, not NaN or Infinity")
    elif depth < MAX_DEPTH and isinstance(value, dict):
        for key, item in value.items():
            _check(key, where, depth + 1)
            _check(item, (*where, str(key)), depth + 1)
    elif depth < MAX_DEPTH and isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, (*where, str(index)), depth + 1)


def _place(where: tuple[str, ...]) -> str:
    return f"{'.'.join(clipped(part) for part in where)}: " if where else ""
