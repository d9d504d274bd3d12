"""The hot path's statements on the driver's own connection, one per thread (`HotPath`): each Core statement
compiled once for the dialect where the store defines it (`HotPath.compile`), each call the driver's execute."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InvalidRequestError, StatementError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement


@dataclass(frozen=True)
class Compiled:
    """A hot-path statement compiled once for the dialect, with what each call needs to bind its values."""

    sql: str
    defaults: dict[str, Any]  # the statement's own bound values (limits, literals), by bind name
    required: frozenset[str]  # the bind names the caller must give
    positional: tuple[str, ...] | None  # the bind names in the driver's order (qmark and format styles)
    named: tuple[tuple[str, str], ...]  # (bind name, the driver's name) for the named styles

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect) -> Compiled:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a statement with parameters rendered at execution time needs a session (`read()`)")
        required = frozenset(bind.key for bind in compiled.binds.values() if bind.required)
        defaults = {k: v for k, v in compiled.construct_params(_check=False).items() if k not in required}
        escaped = compiled.escaped_bind_names
        names = tuple(dict.fromkeys([*defaults, *required]))
        return cls(
            sql=str(compiled),
            defaults=defaults,
            required=required,
            positional=tuple(compiled.positiontup or ()) if compiled.positional else None,
            named=tuple((name, escaped.get(name, name)) for name in names),
        )


class HotPath:
    """The hot path's statements on the driver's own connection, one per thread, kept open: each Core statement
    compiled once for the dialect (`compile`), each call the driver's execute. SQLAlchemy's Connection cost more than
    the statement on SQLite, for a pool checkout and return, events, an execution context and result rows per
    statement (`docs/benchmarks.md`).

    For plain statements whose parameters are plain values (strings, numbers: no type processing) and whose rows
    are read as the driver returns them:
    - `fetch`: a SELECT, in its own implicit transaction (SQLite: the driver's autocommit mode; PostgreSQL: the
      autocommit hot pool);
    - `execute`: one statement that commits on its own (PostgreSQL's hot pool);
    - `execute_many`: the driver's executemany of driver SQL in one transaction (SQLite, `BEGIN IMMEDIATE`; the
      caller holds the write lock).

    A driver error rolls back what the call began, drops the thread's connection (the next call opens another) and
    is raised as SQLAlchemy's, so that a lost database still answers 503.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.dialect = engine.dialect
        self.driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error  # the driver's own base error
        self._local = threading.local()
        self._opened: dict[threading.Thread, PoolProxiedConnection] = {}
        self._lock = threading.Lock()

    def compile(self, statement: ClauseElement) -> Compiled:
        """The statement compiled for this dialect, once, where the store defines it; `ValueError` for one whose
        parameters would be rendered at execution time (an expanding IN)."""
        return Compiled.of(statement, self.dialect)

    def fetch(self, statement: Compiled, params: dict[str, Any]) -> list[Any]:
        """The statement's rows, as tuples."""
        sql, arguments = self.arguments(statement, params)
        with self._cursor(sql, arguments) as cursor:
            cursor.execute(sql, arguments)
            return cast(list[Any], cursor.fetchall())  # a list from both drivers

    def execute(self, statement: Compiled, params: dict[str, Any]) -> None:
        """Run one statement that commits on its own (an autocommit connection)."""
        sql, arguments = self.arguments(statement, params)
        with self._cursor(sql, arguments) as cursor:
            cursor.execute(sql, arguments)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """The driver's executemany of `sql` over `rows`, in one transaction: all stored or none (SQLite)."""
        with self._cursor(sql, rows) as cursor:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                cursor.executemany(sql, rows)
                cursor.execute("COMMIT")
            except BaseException:
                if cursor.connection.in_transaction:
                    cursor.execute("ROLLBACK")
                raise

    @contextmanager
    def _cursor(self, sql: str, arguments: Any) -> Iterator[Any]:
        connection = self._connection()
        try:
            cursor = connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        except self.driver_error as error:
            self._drop(connection)
            raise self.as_sqlalchemy(sql, arguments, error) from error

    def as_sqlalchemy(self, sql: str, arguments: Any, error: Exception) -> StatementError:
        """A driver error as SQLAlchemy raises it (so that `OperationalError`, a lost database, answers 503)."""
        return DBAPIError.instance(sql, arguments, error, self.driver_error, hide_parameters=True, dialect=self.dialect)

    def arguments(self, found: Compiled, params: dict[str, Any]) -> tuple[str, Any]:
        """The driver's SQL and arguments: the statement's own bound values (limits, literals) as compiled, the
        caller's by name. SQLAlchemy's `construct_params` did the same work per call, and cost as much as the rest."""
        values = found.defaults | params
        missing = found.required - values.keys()
        if missing:
            raise InvalidRequestError(f"A value is required for bind parameter {sorted(missing)[0]!r}")
        if found.positional is not None:
            return found.sql, tuple([values[name] for name in found.positional])
        return found.sql, {driver: values[name] for name, driver in found.named}

    def _connection(self) -> PoolProxiedConnection:
        connection: PoolProxiedConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            self._reclaim()
            connection = self._local.connection = self._engine.raw_connection()
            with self._lock:
                self._opened[threading.current_thread()] = connection
        return connection

    def _reclaim(self) -> None:
        """Hand back to the pool the connections of threads that have ended (the pool is small, and a kept
        connection is never returned otherwise)."""
        with self._lock:
            ended = [thread for thread in self._opened if not thread.is_alive()]
            connections = [self._opened.pop(thread) for thread in ended]
        for connection in connections:
            connection.close()

    def _drop(self, connection: PoolProxiedConnection) -> None:
        self._local.connection = None
        with self._lock:
            self._opened.pop(threading.current_thread(), None)
        connection.invalidate()

    def close(self) -> None:
        """Hand every thread's connection back to the pool (the pool's own disposal then closes them)."""
        with self._lock:
            opened, self._opened = self._opened, {}
        for connection in opened.values():
            connection.close()
