"""Several small lists read in one round trip, for a page that shows many beside its main one.

A page such as the inbox shows, beside its tickets, the people who may hold them, the teams, the
viewer's saved views and the names of the organisations its rows mention: each a handful of rows,
yet each its own statement was a round trip to PostgreSQL, and on a busy machine every one of
them waits for the database process to be scheduled again (the inbox's page listing no ticket cost
3-4 times a bare authenticated request). Here each list becomes one column of a single
``SELECT``: its rows as a JSON array, built by PostgreSQL in the list's own order
(``ARRAY(SELECT json_build_object(...) ... ORDER BY ...)``), and decoded by msgspec into small
typed records (UUIDs, instants and enums as such), without building ORM objects the page only reads.

Each area keeps its own query and record type (:class:`Wanted`); this module only reads them
together. Use it for lists of tens or hundreds of rows a page shows, not for large ones.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
#: A select of any columns.
AnySelect = sa.Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Wanted(Generic[T]):
    """A list to read: its query (its selected columns named as ``shape``'s fields) and the record
    type each row is decoded into."""

    query: AnySelect
    shape: type[T]


def _as_json(query: AnySelect) -> sa.ColumnElement[str]:
    """The query's rows as one JSON array, in its order (the ``ARRAY`` constructor keeps it)."""
    pairs: list[Any] = []
    for column in query.selected_columns:
        pairs += [sa.literal_column(f"'{column.key}'"), column]
    rows = query.with_only_columns(sa.func.json_build_object(*pairs)).scalar_subquery()
    return sa.cast(sa.func.array_to_json(sa.func.array(rows)), sa.Text)


async def read(session: AsyncSession, *wanted: Wanted[Any]) -> list[list[Any]]:
    """Each wanted list's records, in the order asked, from one statement."""
    if not wanted:
        return []
    row = (
        await session.execute(sa.select(*(_as_json(w.query).label(f"l{n}") for n, w in enumerate(wanted))))
    ).one()
    return [_decode(raw, w.shape) for raw, w in zip(row, wanted, strict=True)]


def _decode(raw: str, shape: type[T]) -> list[T]:
    decoded: list[T] = _decoder(shape).decode(raw)  # type: ignore[arg-type]
    return decoded


@functools.cache
def _decoder(shape: type[Any]) -> msgspec.json.Decoder[list[Any]]:
    """One decoder per record type, built once (building one per call cost more than decoding)."""
    return msgspec.json.Decoder(list[shape])  # type: ignore[valid-type]
