"""What every deadline sweep shares: due rows by their indexed ``next_due_at``, and ticket locks.

Both are taken with ``SKIP LOCKED``: several workers split the due rows between them, and a row
whose ticket a use-case holds is left for the next run, so a sweep never waits on a use-case
(and the two cannot deadlock: use-cases lock the ticket first, the sweep never waits for it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Ticket

M = TypeVar("M")


async def due_rows(session: AsyncSession, model: type[M], now: datetime, batch: int) -> list[M]:
    """Up to ``batch`` rows of ``model`` due before ``now``, earliest first, locked for this run."""
    column: Any = model.next_due_at  # type: ignore[attr-defined]
    rows = await session.scalars(
        sa.select(model)
        .where(column < now)
        .order_by(column)
        .limit(batch)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def lock_tickets(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Lock these tickets (``FOR NO KEY UPDATE``), skipping any held elsewhere; the ones locked."""
    if not ids:
        return set()
    rows = await session.scalars(
        sa.select(Ticket.id)
        .where(Ticket.id.in_(set(ids)))
        .order_by(Ticket.id)
        .with_for_update(skip_locked=True, key_share=True)
    )
    return set(rows)
