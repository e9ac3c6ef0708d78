"""Two agents answering one ticket at once: the later reply is stopped, not sent twice.

The page sends the last ticket event its agent saw (``seen_event``) with a reply. If someone else
answered or wrote a note since, the reply is refused with 409 ``reply_collision`` naming those
messages; the page shows them first and keeps the agent's text, and sending again (having seen
them) goes through. A rule of the server, not of the page, so an API client is held to it too.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.domain import TicketEventKind
from hub.errors import Conflict
from hub.models import TicketEvent, User

#: What another person did that the agent must read before their reply goes out.
ANSWERS = (TicketEventKind.HUMAN_RESPONSE, TicketEventKind.NOTE)


class ReplyCollision(Conflict):
    code = "reply_collision"

    def __init__(self, *, names: list[str], message_ids: list[uuid.UUID], latest_event: int) -> None:
        super().__init__(names=", ".join(names))
        self.extra = {
            "message_ids": [str(m) for m in message_ids],
            "by": names,
            "latest_event": latest_event,
        }


async def latest_event(session: AsyncSession, ticket_id: uuid.UUID) -> int:
    """The newest event of the ticket: what a page that shows it now has seen."""
    found = await session.scalar(
        sa.select(sa.func.max(TicketEvent.id)).where(TicketEvent.ticket_id == ticket_id)
    )
    return found or 0


async def check(session: AsyncSession, actor: Actor, ticket_id: uuid.UUID, seen_event: int | None) -> None:
    """Refuse the reply if others answered since ``seen_event`` (None: the caller does not say)."""
    if seen_event is None:
        return
    rows = (
        await session.execute(
            sa.select(TicketEvent.id, TicketEvent.message_id, User.name)
            .outerjoin(User, User.id == TicketEvent.actor_user_id)
            .where(
                TicketEvent.ticket_id == ticket_id,
                TicketEvent.id > seen_event,
                TicketEvent.kind.in_(ANSWERS),
                TicketEvent.actor_user_id.is_distinct_from(actor.user_id),
            )
            .order_by(TicketEvent.id)
        )
    ).all()
    if rows:
        raise ReplyCollision(
            names=list(dict.fromkeys(name or "?" for _, _, name in rows)),
            message_ids=[m for _, m, _ in rows if m is not None],
            latest_event=rows[-1][0],
        )
