"""An agent's unsent reply or note, kept on the server while they write it (``ticket_drafts``).

The composer saves as the agent types; the page renders the saved text back after a reload or on
another device. Sending the reply or note removes it in the same transaction (:func:`discard`), so
a draft never outlives what it became. A draft is its author's alone: nobody else reads it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.core import Hub
from hub.errors import InvalidInput, NotFound
from hub.models import Ticket, TicketDraft
from hub.models.drafts import DRAFT_KINDS

#: Characters of a draft: the longest reply a channel takes, with room to spare.
MAX_TEXT = 100_000


def _check(kind: str) -> None:
    if kind not in DRAFT_KINDS:
        raise InvalidInput(detail=f"a draft is a {' or a '.join(DRAFT_KINDS)}")


async def save(hub: Hub, actor: Actor, ticket_id: uuid.UUID, kind: str, text: str) -> datetime | None:
    """Keep the agent's text (an empty text removes the draft); returns when it was saved."""
    permissions.require_staff(actor)
    _check(kind)
    if len(text) > MAX_TEXT:
        raise InvalidInput(detail=f"a draft holds at most {MAX_TEXT} characters")
    assert actor.user_id is not None
    async with hub.uow() as uow:
        if await scope.one(uow.session, actor, Ticket, ticket_id) is None:
            raise NotFound(what="ticket")
        now = hub.clock.now()
        if not text.strip():
            await discard(uow.session, ticket_id, actor.user_id, kind)
            await uow.commit()
            return None
        statement = insert(TicketDraft).values(
            ticket_id=ticket_id, user_id=actor.user_id, kind=kind, text=text, updated_at=now
        )
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["ticket_id", "user_id", "kind"],
                set_={"text": statement.excluded.text, "updated_at": now},
            )
        )
        await uow.commit()
        return now


async def mine(session: AsyncSession, actor: Actor, ticket_id: uuid.UUID) -> dict[str, TicketDraft]:
    """The agent's own drafts on the ticket, by kind (``reply``, ``note``)."""
    if actor.user_id is None:
        return {}
    rows = await session.scalars(
        sa.select(TicketDraft).where(TicketDraft.ticket_id == ticket_id, TicketDraft.user_id == actor.user_id)
    )
    return {row.kind: row for row in rows}


async def discard(session: AsyncSession, ticket_id: uuid.UUID, user_id: uuid.UUID | None, kind: str) -> None:
    """The draft became a message (or was emptied): it goes, in the caller's transaction."""
    if user_id is None:
        return
    await session.execute(
        sa.delete(TicketDraft).where(
            TicketDraft.ticket_id == ticket_id, TicketDraft.user_id == user_id, TicketDraft.kind == kind
        )
    )
