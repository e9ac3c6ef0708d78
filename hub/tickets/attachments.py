"""One attachment's bytes, for whoever may see the message that carries it.

Staff may download any attachment. A partner only those on its organization's tickets, and
never those on internal notes (:mod:`hub.scope`); everything else is "not found", so a partner
cannot probe ids.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from hub import scope
from hub.actors import Actor
from hub.errors import NotFound
from hub.models import Attachment
from hub.ports import AttachmentStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


async def attachment_for(session: AsyncSession, actor: Actor, attachment_id: uuid.UUID) -> Attachment:
    row = await scope.one(session, actor, Attachment, attachment_id)
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
