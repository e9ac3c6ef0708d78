"""Many rows in one statement: each column travels as one array and ``unnest`` turns them back into rows.

``executemany`` costs per row twice over: SQLAlchemy processes every row's parameters in Python,
and PostgreSQL binds and runs the statement once per row. A bulk import writes thousands of rows
per table and batch (``hub ingest email``, a WeChat push backlog), so those paths build a
statement per table here instead: asyncpg encodes each column array in C, and the server plans
and runs one ``INSERT ... SELECT ... FROM unnest(...)`` or ``UPDATE ... FROM unnest(...)``.

Rows are mappings from column name to value, as for ``executemany``. Values reach the database
as Core would send them: enums by value, JSONB through the JSON encoder (``None`` as JSON
``null``, like SQLAlchemy's default ``none_as_null=False``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa
from asyncpg.pgproto.pgproto import UUID as PgUUID  # type: ignore[import-untyped]
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import QueryableAttribute

Encoder = Callable[[Any], Any]


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


@dataclass(frozen=True, slots=True)
class Input:
    """One array parameter: its name in the rows, its PostgreSQL element type, how to encode a value."""

    name: str
    pg_type: str
    encode: Encoder | None = None
    #: How the SELECT list reads it (default: ``u.<name>``).
    read: str | None = None

    @property
    def expression(self) -> str:
        return self.read if self.read is not None else f'u."{self.name}"'


def column_input(column: sa.Column[Any]) -> Input:
    """The array parameter that carries ``column``'s values."""
    kind = column.type
    name = column.name
    if isinstance(kind, pg.JSONB | sa.JSON):
        cast = "jsonb" if isinstance(kind, pg.JSONB) else "json"
        return Input(name, "text", _json, f'CAST(u."{name}" AS {cast})')
    if isinstance(kind, sa.Uuid):
        return Input(name, "uuid")
    if isinstance(kind, sa.Enum | sa.String):  # Enum before String: non-native enums are text
        return Input(name, "text")
    if isinstance(kind, sa.DateTime):
        return Input(name, "timestamptz" if kind.timezone else "timestamp")
    if isinstance(kind, sa.Boolean):
        return Input(name, "boolean")
    if isinstance(kind, sa.BigInteger):
        return Input(name, "bigint")
    if isinstance(kind, sa.Integer):
        return Input(name, "integer")
    if isinstance(kind, sa.LargeBinary):
        return Input(name, "bytea")
    raise TypeError(f"no array parameter for {column.table.name}.{name} ({kind!r})")


@dataclass(frozen=True, slots=True)
class Bulk:
    """A statement over array parameters, ready to run with a list of row mappings."""

    statement: sa.TextClause
    inputs: tuple[Input, ...]

    async def execute(self, connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> Any:
        parameters: dict[str, list[Any]] = {}
        for item in self.inputs:
            name, encode = item.name, item.encode
            if encode is None:
                parameters[name] = [row[name] for row in rows]
            else:
                parameters[name] = [encode(row[name]) for row in rows]
        return await connection.execute(self.statement, parameters)


def _source(inputs: Sequence[Input]) -> str:
    arrays = ", ".join(f"CAST(:{i.name} AS {i.pg_type}[])" for i in inputs)
    return f"unnest({arrays}) AS u({', '.join(_quoted(i.name) for i in inputs)})"


def _quoted(name: str) -> str:
    return f'"{name}"'


def insert_rows(
    table: sa.Table,
    columns: Sequence[str],
    *,
    derived: Mapping[str, Input] | None = None,
    suffix: str = "",
) -> Bulk:
    """``INSERT INTO table (columns) SELECT ... FROM unnest(...)`` followed by ``suffix`` (``ON
    CONFLICT ...``, ``RETURNING ...``). ``derived`` maps a column to an input of another name whose
    ``read`` expression computes the column (the search vector from the row's words)."""
    inputs = [column_input(table.c[name]) for name in columns]
    targets = list(columns)
    for column, extra in (derived or {}).items():
        inputs.append(extra)
        targets.append(column)
    expressions = [i.expression for i in inputs]
    # Built once, at import, from table metadata and the caller's constant SQL; data only ever
    # travels in the array parameters.
    into = f"{_quoted(table.name)} ({', '.join(map(_quoted, targets))})"
    sql = f"INSERT INTO {into} SELECT {', '.join(expressions)} FROM {_source(inputs)} {suffix}"  # noqa: S608
    return Bulk(sa.text(sql), tuple(inputs))


def update_rows(
    table: sa.Table, key: str, columns: Sequence[str], *, fixed: Mapping[str, str] | None = None
) -> Bulk:
    """``UPDATE table SET column = value ... FROM unnest(...) WHERE table.key = the row's key``, plus
    ``fixed`` assignments written as SQL over the table's current row ``t`` (``t.attempts + 1``).

    The rows are matched in whatever order the join takes: callers lock them first (in key order)
    when concurrent writers could meet on them."""
    inputs = [column_input(table.c[key]), *(column_input(table.c[name]) for name in columns)]
    assignments = [f"{_quoted(name)} = {i.expression}" for name, i in zip(columns, inputs[1:], strict=True)]
    assignments += [f"{_quoted(name)} = {sql}" for name, sql in (fixed or {}).items()]
    # As in insert_rows: table metadata and constant SQL only.
    match = f"t.{_quoted(key)} = u.{_quoted(key)}"
    sql = (
        f"UPDATE {_quoted(table.name)} AS t SET {', '.join(assignments)} FROM {_source(inputs)} WHERE {match}"  # noqa: S608
    )
    return Bulk(sa.text(sql), tuple(inputs))


class RandomIds:
    """Random (version 4) UUIDs for many new rows, as :func:`uuid.uuid4` makes them, from one read
    of the OS's random source per ``chunk`` ids instead of one system call per id, which a bulk batch
    makes by the thousand. Keep one per batch, never module-wide:
    bytes read before a fork would repeat in the child.

    They are asyncpg's own UUIDs (a :class:`uuid.UUID` that equals and hashes as the standard one
    does, the type every id read from the database already has): made in a third of the time and
    hashed in half, which an import of 100,000 calls does half a million times."""

    def __init__(self, chunk: int = 256) -> None:
        self._chunk = chunk
        self._ready: list[uuid.UUID] = []

    def __call__(self) -> uuid.UUID:
        if not self._ready:
            data = bytearray(os.urandom(16 * self._chunk))
            for i in range(0, len(data), 16):
                data[i + 6] = (data[i + 6] & 0x0F) | 0x40  # version 4
                data[i + 8] = (data[i + 8] & 0x3F) | 0x80  # RFC 4122 variant
            self._ready = [PgUUID(bytes(data[i : i + 16])) for i in range(0, len(data), 16)]
        return self._ready.pop()


class RandomTokens:
    """Hex tokens as :func:`secrets.token_hex` makes them (same source, ``nbytes`` random bytes
    each), read ``chunk`` tokens at a time for the same reason as :class:`RandomIds`; one per batch."""

    def __init__(self, nbytes: int, chunk: int = 256) -> None:
        self._width = 2 * nbytes
        self._chunk = chunk
        self._ready: list[str] = []

    def __call__(self) -> str:
        if not self._ready:
            data = os.urandom(self._width // 2 * self._chunk).hex()
            self._ready = [data[i : i + self._width] for i in range(0, len(data), self._width)]
        return self._ready.pop()


#: A column as a table's ``c`` or a mapped class's attribute gives it.
Column = sa.ColumnElement[Any] | QueryableAttribute[Any]


def any_of(column: Column, values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``column = ANY(:array)``: the set-based reads' ``IN`` with one array parameter.

    ``IN (...)`` spends a parameter per value: a batch's 500 ids make a statement of 500
    parameters that SQLAlchemy renders and PostgreSQL parses and plans for each batch size seen,
    several times the cost of running it. One array parameter is one statement, planned once."""
    return column == sa.any_(sa.bindparam(None, list(values), type_=pg.ARRAY(column.type)))
