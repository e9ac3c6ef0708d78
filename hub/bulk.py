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
from dataclasses import dataclass, field
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
    """A statement over array parameters, ready to run with a list of row mappings.

    A column holding one value in every row of a call (the batch's channel, a ``NULL`` nobody set,
    the moment the batch was written) travels as that one value rather than as an array of it:
    the driver encodes every element of an array, and a wide insert of a thousand rows is mostly
    such columns. The statement for each set of shared columns is built once."""

    inputs: tuple[Input, ...]
    #: The SQL given which inputs travel as arrays and which as one shared value (both in order).
    build: Callable[[Sequence[Input], Sequence[Input]], str]
    variants: dict[frozenset[str], sa.TextClause] = field(default_factory=dict)

    def _variant(self, shared: frozenset[str]) -> sa.TextClause:
        found = self.variants.get(shared)
        if found is None:
            arrays = [i for i in self.inputs if i.name not in shared]
            alike = [i for i in self.inputs if i.name in shared]
            found = self.variants[shared] = sa.text(self.build(arrays, alike))
        return found

    async def execute(self, connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> Any:
        parameters: dict[str, Any] = {}
        shared: list[str] = []
        for index, item in enumerate(self.inputs):
            name, encode = item.name, item.encode
            values = [row[name] for row in rows] if encode is None else [encode(row[name]) for row in rows]
            # The first input (the key of an update) always carries the rows; an input read
            # through an expression of its own stays an array.
            if index and item.read is None and len(values) >= SHARED_FROM_ROWS and _alike(values):
                shared.append(name)
                parameters[name] = values[0]
            else:
                parameters[name] = values
        return await connection.execute(self._variant(frozenset(shared)), parameters)


#: Batches this large send their alike columns once. A small batch's columns are often alike by
#: chance (two messages of one minute): each such set would be one more statement for the server to
#: prepare and the driver to cache, for a few elements saved; small batches keep the all-array one.
SHARED_FROM_ROWS = 32


def _alike(values: list[Any]) -> bool:
    """Every value equal to the first (the last one compared first: a column of distinct values is
    told in one comparison, and ``count`` compares by identity first, in C)."""
    first = values[0]
    return bool(values[-1] == first) and values.count(first) == len(values)


def _source(inputs: Sequence[Input]) -> str:
    arrays = ", ".join(f"CAST(:{i.name} AS {i.pg_type}[])" for i in inputs)
    return f"unnest({arrays}) AS u({', '.join(_quoted(i.name) for i in inputs)})"


def _shared(item: Input) -> str:
    return f"CAST(:{item.name} AS {item.pg_type})"


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
    into = f"{_quoted(table.name)} ({', '.join(map(_quoted, targets))})"

    def build(arrays: Sequence[Input], alike: Sequence[Input]) -> str:
        shared = {i.name for i in alike}
        expressions = [_shared(i) if i.name in shared else i.expression for i in inputs]
        # Built from table metadata and the caller's constant SQL; data only ever travels in
        # the parameters.
        return f"INSERT INTO {into} SELECT {', '.join(expressions)} FROM {_source(arrays)} {suffix}"  # noqa: S608

    return Bulk(tuple(inputs), build)


def update_rows(
    table: sa.Table, key: str, columns: Sequence[str], *, fixed: Mapping[str, str] | None = None
) -> Bulk:
    """``UPDATE table SET column = value ... FROM unnest(...) WHERE table.key = the row's key``, plus
    ``fixed`` assignments written as SQL over the table's current row ``t`` (``t.attempts + 1``).

    The rows are matched in whatever order the join takes: callers lock them first (in key order)
    when concurrent writers could meet on them."""
    inputs = [column_input(table.c[key]), *(column_input(table.c[name]) for name in columns)]
    match = f"t.{_quoted(key)} = u.{_quoted(key)}"

    def build(arrays: Sequence[Input], alike: Sequence[Input]) -> str:
        shared = {i.name for i in alike}
        assignments = [
            f"{_quoted(name)} = {_shared(i) if name in shared else i.expression}"
            for name, i in zip(columns, inputs[1:], strict=True)
        ]
        assignments += [f"{_quoted(name)} = {sql}" for name, sql in (fixed or {}).items()]
        # As in insert_rows: table metadata and constant SQL only.
        return f"UPDATE {_quoted(table.name)} AS t SET {', '.join(assignments)} FROM {_source(arrays)} WHERE {match}"  # noqa: S608

    return Bulk(tuple(inputs), build)


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
        self._nbytes = nbytes
        self._chunk = chunk
        self._ready: list[str] = []

    def __call__(self) -> str:
        if not self._ready:
            data = os.urandom(self._nbytes * self._chunk).hex()
            width = 2 * self._nbytes
            self._ready = [data[i : i + width] for i in range(0, len(data), width)]
        return self._ready.pop()


#: A column as a table's ``c`` or a mapped class's attribute gives it.
Column = sa.ColumnElement[Any] | QueryableAttribute[Any]


def any_of(column: Column, values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """``column = ANY(:array)``: the set-based reads' ``IN`` with one array parameter.

    ``IN (...)`` spends a parameter per value: a batch's 500 ids make a statement of 500
    parameters that SQLAlchemy renders and PostgreSQL parses and plans for each batch size seen,
    several times the cost of running it. One array parameter is one statement, planned once."""
    return column == sa.any_(sa.bindparam(None, list(values), type_=pg.ARRAY(column.type)))
