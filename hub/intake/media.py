"""Files a channel fetches after the message arrived (WeChat sends a media id, not the bytes).

The message is stored and shown at once with ``meta["media"]["state"] = "pending"``; a job fetches
the file and attaches it here (``done``), or records why it could not (``failed``, with a catalogue
code so the agent reads it in their language). Either way the ticket hears of it live.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from hub.core import Hub
from hub.errors import InvalidInput, NotFound
from hub.events import TicketRef
from hub.models import Attachment, Channel, Message, Ticket
from hub.tickets import events
from hub.uow import UnitOfWork

PENDING, DONE, FAILED = "pending", "done", "failed"


async def _load(uow: UnitOfWork, message_id: uuid.UUID) -> Message:
    message = await uow.session.get(Message, message_id, with_for_update=True)
    if message is None:
        raise NotFound(what="message")
    return message


def _set_state(message: Message, state: str, **fields: Any) -> None:
    media = {**message.meta.get("media", {}), "state": state, **fields}
    message.meta = {**message.meta, "media": media}


@dataclass(frozen=True)
class MediaTarget:
    """A message waiting for its file, with what the channel needs to fetch it."""

    message_id: uuid.UUID
    channel_id: uuid.UUID
    channel_config: dict[str, Any]
    media: dict[str, Any]


async def target(hub: Hub, message_id: uuid.UUID) -> MediaTarget | None:
    """The message's pending media, or None when there is nothing (left) to fetch."""
    async with hub.uow() as uow:
        message = await uow.session.get(Message, message_id)
        if message is None or message.channel_id is None:
            return None
        media = dict(message.meta.get("media", {}))
        if not media or media.get("state") == DONE:
            return None
        channel = await uow.session.get(Channel, message.channel_id)
        if channel is None:
            return None
        return MediaTarget(message.id, channel.id, dict(channel.config), media)


async def attach(
    hub: Hub, message_id: uuid.UUID, *, filename: str, content_type: str, data: bytes, attempts: int = 1
) -> uuid.UUID | None:
    """Attach the fetched file once; a repeated job finds it done and adds nothing."""
    if len(data) > hub.settings.attachment_max_bytes:
        raise InvalidInput(detail=f"{filename} is larger than {hub.settings.attachment_max_bytes} bytes")
    digest = hub.storage.put(data)
    async with hub.uow() as uow:
        message = await _load(uow, message_id)
        if message.meta.get("media", {}).get("state") == DONE:
            return None
        now = hub.clock.now()
        row = Attachment(
            id=uuid.uuid4(),
            message_id=message.id,
            filename=filename[:255] or "media",
            content_type=content_type[:127] or "application/octet-stream",
            size=len(data),
            sha256=digest,
            created_at=now,
        )
        uow.session.add(row)
        _set_state(message, DONE, attempts=attempts, error=None)
        await _announce(uow, message)
        await uow.commit()
        return row.id


async def fail(
    hub: Hub, message_id: uuid.UUID, *, code: str, detail: str, attempts: int, final: bool
) -> None:
    """Record a failed fetch: retrying (still pending, the reason shown) or given up (failed)."""
    async with hub.uow() as uow:
        message = await _load(uow, message_id)
        if message.meta.get("media", {}).get("state") == DONE:
            return
        error = {"code": code, "params": {"detail": detail[:500]}}
        _set_state(message, FAILED if final else PENDING, attempts=attempts, error=error)
        await _announce(uow, message)
        await uow.commit()


async def _announce(uow: UnitOfWork, message: Message) -> None:
    ticket = await uow.session.get(Ticket, message.ticket_id)
    assert ticket is not None
    uow.emit(
        events.MessageUpdated(at=uow.hub.clock.now(), ticket=TicketRef.of(ticket), message_id=message.id)
    )
