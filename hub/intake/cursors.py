"""Read positions of pulled channels (:class:`hub.models.SourceCursor`): exact-once fetching.

A channel that fetches its traffic stores each item first (``ingest.ingest`` commits the raw payload)
and only then moves its cursor, so a crash between the two re-reads one item, which the
idempotent ingest turns into a duplicate, never a loss. Positions only move forward within one
``validity``; a new validity (the source renumbered its items) starts from its own position.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from hub.core import Hub
from hub.models import SourceCursor


@dataclass(frozen=True)
class Cursor:
    validity: int | None
    position: int


async def read_cursor(hub: Hub, channel_id: uuid.UUID, source: str) -> Cursor | None:
    async with hub.uow() as uow:
        row = (
            await uow.session.execute(
                sa.select(SourceCursor.validity, SourceCursor.position).where(
                    SourceCursor.channel_id == channel_id, SourceCursor.source == source
                )
            )
        ).one_or_none()
    return None if row is None else Cursor(validity=row[0], position=row[1])


async def advance(hub: Hub, channel_id: uuid.UUID, source: str, *, validity: int, position: int) -> None:
    """Record that everything up to ``position`` (in ``validity``'s numbering) is stored.

    Within the same validity the position never moves back (two readers racing after a lost lock
    cannot rewind it); a different validity replaces the old numbering outright.
    """
    table = SourceCursor.__table__
    statement = insert(SourceCursor).values(
        channel_id=channel_id,
        source=source,
        validity=validity,
        position=position,
        state="watching",
        updated_at=hub.clock.now(),
    )
    same = table.c.validity == statement.excluded.validity
    await _execute(
        hub,
        statement.on_conflict_do_update(
            index_elements=["channel_id", "source"],
            set_={
                "position": sa.case(
                    (same, sa.func.greatest(table.c.position, statement.excluded.position)),
                    else_=statement.excluded.position,
                ),
                "validity": statement.excluded.validity,
                "updated_at": statement.excluded.updated_at,
            },
        ),
    )


async def note_state(
    hub: Hub, channel_id: uuid.UUID, source: str, state: str, *, error: str | None = None
) -> None:
    """What the reader is doing, for ``hub channel list``; an error keeps the time it began."""
    now = hub.clock.now()
    table = SourceCursor.__table__
    statement = insert(SourceCursor).values(
        channel_id=channel_id,
        source=source,
        state=state,
        error=error[:2000] if error else None,
        error_since=now if error else None,
        updated_at=now,
    )
    await _execute(
        hub,
        statement.on_conflict_do_update(
            index_elements=["channel_id", "source"],
            set_={
                "state": statement.excluded.state,
                "error": statement.excluded.error,
                "error_since": sa.case(
                    (statement.excluded.error.is_(None), None),
                    else_=sa.func.coalesce(table.c.error_since, statement.excluded.error_since),
                ),
                "updated_at": statement.excluded.updated_at,
            },
        ),
    )


async def _execute(hub: Hub, statement: sa.Executable) -> None:
    async with hub.uow() as uow:
        await uow.session.execute(statement)
        await uow.commit()


@dataclass(frozen=True)
class SourceStatus:
    channel_id: uuid.UUID
    source: str
    validity: int | None
    position: int
    state: str
    error: str | None
    error_since: datetime | None
    updated_at: datetime


async def list_status(hub: Hub) -> list[SourceStatus]:
    async with hub.uow() as uow:
        rows = await uow.session.scalars(
            sa.select(SourceCursor).order_by(SourceCursor.channel_id, SourceCursor.source)
        )
        return [
            SourceStatus(
                channel_id=r.channel_id,
                source=r.source,
                validity=r.validity,
                position=r.position,
                state=r.state,
                error=r.error,
                error_since=r.error_since,
                updated_at=r.updated_at,
            )
            for r in rows
        ]
