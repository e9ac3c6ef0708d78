"""One attachment's bytes, for whoever may see the message that carries it.

Staff may download any attachment. A partner only those on its organization's tickets, and
never those on internal notes; everything else is "not found", so a partner cannot probe ids.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.domain import Direction
from hub.errors import NotFound
from hub.models import Attachment, Message, Ticket
from hub.ports import AttachmentStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


async def attachment_for(session: AsyncSession, actor: Actor, attachment_id: uuid.UUID) -> Attachment:
    query = (
        sa.select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(Attachment.id == attachment_id)
    )
    if actor.is_partner:
        query = query.where(
            Ticket.organization_id == actor.organization_id, Message.direction != Direction.NOTE
        )
    elif actor.kind == "user" and not actor.is_staff:
        raise NotFound(what="attachment")
    row = await session.scalar(query)
    if row is None:
        raise NotFound(what="attachment")
    return row


async def download(
    session: AsyncSession, store: AttachmentStore, actor: Actor, attachment_id: uuid.UUID
) -> Download:
    """The file, read off the event loop (the store is a blocking, possibly remote, read)."""
    row = await attachment_for(session, actor, attachment_id)
    try:
        data = await asyncio.to_thread(store.get, row.sha256)
    except FileNotFoundError:
        log.error("attachment %s: content %s is missing from the store", row.id, row.sha256)
        raise NotFound(what="attachment") from None
    return Download(filename=row.filename, content_type=row.content_type, data=data)
