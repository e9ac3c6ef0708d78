"""How common a search word or a tag is, read from PostgreSQL's own statistics (``pg_stats``).

A list cut at a page (``ORDER BY number LIMIT 51``) can be answered two ways: walk the order's
index and test each row until the page is full, which is quick when most rows match and walks
the whole table when none do; or collect the matching rows from the GIN index and sort them,
which is quick when few match and reads a million when most do. PostgreSQL's planner chooses by
its estimate of how many rows match, and for a word it has no statistics of (one ticket's number,
a word in no message) it guesses a share large enough to walk: a search for a ticket number
walked 1,000,000 tickets and their 10,000,000 messages (22 s). ``ANALYZE`` keeps, per column,
the elements found in a sizeable share of rows with that share; a word that is not among them is
rare, so the caller collects instead of walking. Read once per database and kept for minutes.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

#: Seconds the statistics are kept (``ANALYZE`` runs after a good share of a table changed).
TTL = 300.0
#: (table, column) whose common elements are read.
COLUMNS = (("tickets", "search"), ("messages", "search"), ("tickets", "tags"))

Shares = dict[tuple[str, str], dict[str, float]]
_cache: dict[str, tuple[float, Shares]] = {}


async def shares(session: AsyncSession) -> Shares:
    """Per column, its common elements and the share of rows holding each."""
    connection = await session.connection()
    key = str(connection.engine.url)
    cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < TTL:
        return cached[1]
    rows = await session.execute(
        sa.text(
            "SELECT tablename, attname, most_common_elems::text::text[], most_common_elem_freqs "
            "FROM pg_stats WHERE schemaname = current_schema() "
            "AND (tablename, attname) IN (('tickets', 'search'), ('messages', 'search'), ('tickets', 'tags'))"
        )
    )
    found: Shares = {column: {} for column in COLUMNS}
    for table, column, elements, frequencies in rows:
        if elements and frequencies:
            found[(table, column)] = dict(zip(elements, frequencies, strict=False))
    _cache[key] = (time.monotonic(), found)
    return found


def share(stats: Shares, column: tuple[str, str], element: str, *, prefix: bool = False) -> float:
    """The share of rows holding ``element`` (any element starting with it, for a prefix); 0 when
    it is not common enough to be in the statistics (or the table was never analysed)."""
    common = stats.get(column, {})
    if not prefix:
        return common.get(element, 0.0)
    return min(1.0, sum(f for e, f in common.items() if e.startswith(element)))
