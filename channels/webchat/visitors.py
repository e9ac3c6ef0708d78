"""Visitors and their conversation as the widget sees it.

A visitor's conversation is every ticket of their contact on the channel (the funnel threads
their messages by the visitor id as the conversation key and makes the contact on the first
message, identity ``webchat`` / visitor id). Once ``HubChat.setUser`` joined them to a known
contact, that is the contact's: the same person on another device sees the same history.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from channels.webchat import tokens
from hub.core import Hub
from hub.domain import ChannelKind, Direction
from hub.models import Attachment, ContactIdentity, CsatSurvey, Message, Ticket, User, WebchatVisitor

#: What a new session and the socket's ``ready`` carry at most; older ones come with ``after``.
HISTORY = 50
#: Statuses a visitor's reading moves an agent's message through, in order.
STATUSES = ("sent", "delivered", "read")


async def touch(
    hub: Hub,
    channel_id: uuid.UUID,
    visitor_id: uuid.UUID,
    *,
    page: dict[str, Any] | None = None,
    prechat: dict[str, str] | None = None,
) -> WebchatVisitor:
    """The visitor's row, made or refreshed: last seen now, the page they are on, the pre-chat
    form's answers (kept as typed: unverified)."""
    now = hub.clock.now()
    values: dict[str, Any] = {"last_seen_at": now}
    if page is not None:
        values["page"] = page
    for name in ("name", "email", "phone"):
        if prechat and prechat.get(name):
            values[name] = prechat[name]
    async with hub.session_factory() as session:
        row = await session.scalar(
            insert(WebchatVisitor)
            .values(id=visitor_id, channel_id=channel_id, created_at=now, **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
            .returning(WebchatVisitor)
        )
        await session.commit()
    assert isinstance(row, WebchatVisitor)
    return row


async def get(hub: Hub, visitor_id: uuid.UUID) -> WebchatVisitor | None:
    async with hub.session_factory() as session:
        return await session.get(WebchatVisitor, visitor_id)


async def update(hub: Hub, visitor_id: uuid.UUID, **values: Any) -> None:
    async with hub.session_factory() as session:
        await session.execute(
            sa.update(WebchatVisitor).where(WebchatVisitor.id == visitor_id).values(**values)
        )
        await session.commit()


async def contact_of(session: AsyncSession, visitor_id: uuid.UUID | str) -> uuid.UUID | None:
    return await session.scalar(
        sa.select(ContactIdentity.contact_id).where(
            ContactIdentity.kind == ChannelKind.WEBCHAT, ContactIdentity.value == str(visitor_id)
        )
    )


def _tickets(channel_id: uuid.UUID, contact_id: uuid.UUID) -> sa.Select[Any]:
    return sa.select(Ticket.id).where(Ticket.channel_id == channel_id, Ticket.contact_id == contact_id)


async def current_ticket(
    session: AsyncSession, channel_id: uuid.UUID, visitor_id: uuid.UUID
) -> Ticket | None:
    """The visitor's latest conversation on the channel (typing and read marks are about it)."""
    contact_id = await contact_of(session, visitor_id)
    if contact_id is None:
        return None
    return await session.scalar(
        sa.select(Ticket)
        .where(Ticket.channel_id == channel_id, Ticket.contact_id == contact_id)
        .order_by(Ticket.last_message_at.desc())
        .limit(1)
    )


async def visitor_of_ticket(
    session: AsyncSession, ticket_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The web-chat channel and visitor a ticket talks to (the latest visitor of its contact)."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.channel_kind is not ChannelKind.WEBCHAT:
        return None
    value = await session.scalar(
        sa.select(ContactIdentity.value)
        .where(ContactIdentity.contact_id == ticket.contact_id, ContactIdentity.kind == ChannelKind.WEBCHAT)
        .order_by(ContactIdentity.created_at.desc())
        .limit(1)
    )
    try:
        return (ticket.channel_id, uuid.UUID(value)) if value else None
    except ValueError:
        return None


def status_of(message: Message) -> str:
    if message.direction is not Direction.OUTBOUND:
        return "sent"
    marked = message.meta.get("webchat_status")
    return marked if marked in STATUSES else "sent"


def message_json(
    message: Message,
    attachments: list[Attachment],
    *,
    author: str | None,
    file_url: Any,
    rating: int | None = None,
) -> dict[str, Any]:
    """A message as the protocol's ``Message``: plain text only (an HTML mail's text part)."""
    data: dict[str, Any] = {
        "id": str(message.id),
        "direction": "in" if message.direction is Direction.INBOUND else "out",
        "text": message.text,
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
        "status": status_of(message),
        "attachments": [
            {"filename": a.filename, "url": file_url(a.id), "content_type": a.content_type, "size": a.size}
            for a in attachments
        ],
    }
    client_id = message.meta.get("client_message_id")
    if client_id:
        data["client_message_id"] = client_id
    if author:
        data["author"] = {"name": author}
    if message.meta.get("csat"):
        data["csat"] = survey_json(rating)
    return data


def survey_json(rating: int | None = None) -> dict[str, Any]:
    """A satisfaction survey in the conversation: the widget draws 1–5 faces under the question
    and posts the answer with the message's id (the survey's signed link stays out of the page)."""
    return {"rating": rating}


def file_url(master_key: str, channel_id: uuid.UUID) -> Any:
    def url(attachment_id: uuid.UUID) -> str:
        signature = tokens.file_signature(master_key, channel_id, attachment_id)
        return f"/widget/v1/{channel_id}/files?id={attachment_id}&sig={signature}"

    return url


async def transcript(
    hub: Hub,
    master_key: str,
    channel_id: uuid.UUID,
    visitor_id: uuid.UUID,
    *,
    after: uuid.UUID | None = None,
    limit: int = HISTORY,
) -> list[dict[str, Any]]:
    """The visitor's messages after ``after`` (oldest first), or the last ``limit`` without it.

    Internal notes and system lines are never part of it; an agent's reply still in the outbox is
    (it is on its way)."""
    async with hub.session_factory() as session:
        contact_id = await contact_of(session, visitor_id)
        if contact_id is None:
            return []
        query = sa.select(Message).where(
            Message.ticket_id.in_(_tickets(channel_id, contact_id)),
            Message.direction.in_([Direction.INBOUND, Direction.OUTBOUND]),
        )
        if after is not None:
            mark = await session.scalar(
                sa.select(Message.created_at).where(
                    Message.id == after, Message.ticket_id.in_(_tickets(channel_id, contact_id))
                )
            )
            if mark is not None:
                query = query.where(sa.tuple_(Message.created_at, Message.id) > sa.tuple_(mark, after))
                rows = list(await session.scalars(query.order_by(Message.created_at, Message.id).limit(500)))
            else:  # an id that is not theirs: the recent history, as without one
                after = None
        if after is None:
            rows = list(
                await session.scalars(
                    query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
                )
            )
            rows.reverse()
        if not rows:
            return []
        attachments: dict[uuid.UUID, list[Attachment]] = {}
        for item in await session.scalars(
            sa.select(Attachment)
            .where(Attachment.message_id.in_([m.id for m in rows]))
            .order_by(Attachment.created_at)
        ):
            attachments.setdefault(item.message_id, []).append(item)
        authors = {
            u.id: u.name
            for u in await session.scalars(
                sa.select(User).where(User.id.in_({m.author_user_id for m in rows if m.author_user_id}))
            )
        }
        surveyed = [m.id for m in rows if m.meta.get("csat")]
        ratings: dict[uuid.UUID | None, int | None] = {}
        if surveyed:
            found = await session.execute(
                sa.select(CsatSurvey.message_id, CsatSurvey.rating).where(CsatSurvey.message_id.in_(surveyed))
            )
            ratings = {message_id: rating for message_id, rating in found}
    url = file_url(master_key, channel_id)
    return [
        message_json(
            m,
            attachments.get(m.id, []),
            author=authors.get(m.author_user_id) if m.author_user_id else None,
            file_url=url,
            rating=ratings.get(m.id),
        )
        for m in rows
    ]


async def mark(
    hub: Hub, channel_id: uuid.UUID, visitor_id: uuid.UUID, message_id: uuid.UUID, status: str
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The agent's messages up to ``message_id`` reached the visitor (``delivered``) or were read:
    the (ticket, message) ids whose mark moved. A message already further along stays."""
    async with hub.session_factory() as session:
        contact_id = await contact_of(session, visitor_id)
        if contact_id is None:
            return []
        upto = await session.scalar(
            sa.select(Message.created_at).where(
                Message.id == message_id, Message.ticket_id.in_(_tickets(channel_id, contact_id))
            )
        )
        if upto is None:
            return []
        behind = [s for s in STATUSES[: STATUSES.index(status)]]
        marked = sa.func.coalesce(Message.meta["webchat_status"].astext, "sent")
        rows = await session.execute(
            sa.update(Message)
            .where(
                Message.ticket_id.in_(_tickets(channel_id, contact_id)),
                Message.direction == Direction.OUTBOUND,
                Message.created_at <= upto,
                marked.in_(behind),
            )
            .values(meta=Message.meta.op("||")(sa.func.jsonb_build_object("webchat_status", status)))
            .returning(Message.ticket_id, Message.id)
        )
        moved = [(t, m) for t, m in rows]
        await session.commit()
    return moved


async def mark_delivered(
    hub: Hub, message_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None] | None:
    """An agent's message reached a socket of its visitor (our own sender published it there): mark
    it delivered, in one statement, unless it is already further along. Its ticket, team and
    assignee (who hear of it), or None when nothing moved."""
    marked = sa.func.coalesce(Message.meta["webchat_status"].astext, "sent")
    async with hub.session_factory() as session:
        row = (
            await session.execute(
                sa.update(Message)
                .where(
                    Message.id == message_id,
                    Message.direction == Direction.OUTBOUND,
                    marked == "sent",
                    Ticket.id == Message.ticket_id,
                )
                .values(meta=Message.meta.op("||")(sa.func.jsonb_build_object("webchat_status", "delivered")))
                .returning(Ticket.id, Ticket.team_id, Ticket.assignee_id)
            )
        ).one_or_none()
        await session.commit()
    return (row[0], row[1], row[2]) if row is not None else None
