"""Portal messages: every comment a partner writes is a message on a ticket of the ``portal`` channel.

Why a ticket: the comment is then owned by the partner's account manager (the backup when away;
the ingest's routing), promised an answer like an e-mail (the built-in policy gives every channel
without its own the e-mail promise) and counted in the same response-time metrics, with no second
inbox to watch. A quality case or meeting has its own conversation, keyed by a thread reference
(``quality:<id>``); a message from the messages page continues the writer's open conversation.

Each partner user writes as a contact of its organization with the portal identity
``user:<id>``; a conversation the company opens (a new quality case) is addressed to the
organization itself (``org:<id>``). Both contacts belong to the partner's organization, so its
tickets are the partner's to see by the usual scope rule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub import scope
from hub.actors import CLI, Actor
from hub.core import Hub
from hub.domain import ChannelKind, Direction, OrganizationKind
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.intake import channel_instances, ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.models import Channel, Contact, ContactIdentity, Message, Organization, Ticket, User

CHANNEL_NAME = "合作方门户 Partner portal"
MAX_TEXT = 10_000


async def portal_channel(hub: Hub) -> uuid.UUID:
    """The hub's one portal channel, made on first use."""
    async with hub.uow() as uow:
        found = await uow.session.scalar(
            sa.select(Channel.id)
            .where(Channel.kind == ChannelKind.PORTAL)
            .order_by(Channel.created_at)
            .limit(1)
        )
    if found is not None:
        return found
    try:
        created = await channel_instances.add_channel(hub, CLI, kind=ChannelKind.PORTAL, name=CHANNEL_NAME)
    except Conflict:  # another process made it first
        return await portal_channel(hub)
    return created.channel.id


def user_identity(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def organization_identity(organization_id: uuid.UUID) -> str:
    return f"org:{organization_id}"


async def _ensure_contact(
    session: AsyncSession, identity: str, name: str, organization_id: uuid.UUID
) -> None:
    """The contact behind a portal identity, in the partner's organization; made once."""
    exists = await session.scalar(
        sa.select(ContactIdentity.id).where(
            ContactIdentity.kind == ChannelKind.PORTAL, ContactIdentity.value == identity
        )
    )
    if exists is not None:
        return
    contact_id = uuid.uuid4()
    await session.execute(
        insert(Contact).values(id=contact_id, name=name[:200], organization_id=organization_id)
    )
    await session.execute(
        insert(ContactIdentity)
        .values(id=uuid.uuid4(), contact_id=contact_id, kind=ChannelKind.PORTAL, value=identity)
        .on_conflict_do_nothing()
    )


async def _partner(session: AsyncSession, actor: Actor) -> User:
    if not actor.is_partner or actor.user_id is None or actor.organization_id is None:
        raise Forbidden()
    user = await session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise Forbidden()
    return user


async def post(
    hub: Hub, actor: Actor, text: str, *, subject: str | None = None, thread_ref: str | None = None
) -> IngestResult:
    """A partner user's comment: a message on its conversation, the partner taken from the login."""
    body = text.strip()
    if not body or len(body) > MAX_TEXT:
        raise InvalidInput(detail=f"a message has 1 to {MAX_TEXT} characters")
    channel_id = await portal_channel(hub)
    async with hub.uow() as uow:
        user = await _partner(uow.session, actor)
        assert user.organization_id is not None  # a partner user has its organization
        await _ensure_contact(uow.session, user_identity(user.id), user.name, user.organization_id)
        await uow.commit()
    message = InboundMessage(
        channel_id=channel_id,
        external_id=f"portal:{uuid.uuid4()}",
        sender=Sender(user_identity(user.id), user.name),
        text=body,
        subject=subject,
        thread_ref=thread_ref,
        sent_at=hub.clock.now(),
    )
    return await ingest.ingest(hub, message)


async def open_conversation(
    hub: Hub,
    organization_id: uuid.UUID,
    *,
    thread_ref: str,
    subject: str,
    text: str,
    author_user_id: uuid.UUID | None,
) -> uuid.UUID:
    """The company opens a conversation with a partner (a new quality case): the ticket's id.

    Written by a member of the staff it is their outbound message (the team spoke first); with no
    one to write it (an ERP push for a partner with no account manager) it arrives as the
    organization's own message, which asks the team to look at it.
    """
    channel_id = await portal_channel(hub)
    async with hub.uow() as uow:
        organization = await uow.session.get(Organization, organization_id)
        if organization is None or organization.kind is not OrganizationKind.PARTNER:
            raise NotFound(what="organization")
        await _ensure_contact(
            uow.session, organization_identity(organization.id), organization.name, organization.id
        )
        await uow.commit()
    message = InboundMessage(
        channel_id=channel_id,
        external_id=f"portal:{thread_ref}",
        sender=Sender(organization_identity(organization_id), organization.name),
        text=text,
        subject=subject,
        thread_ref=thread_ref,
        sent_at=hub.clock.now(),
        direction="outbound" if author_user_id else "inbound",
        author_user_id=author_user_id,
    )
    result = await ingest.ingest(hub, message)
    assert result.ticket_id is not None  # a message that opens a ticket
    return result.ticket_id


@dataclass(frozen=True)
class Conversation:
    ticket_id: uuid.UUID
    number: int
    subject: str
    status: str
    last_message_at: object
    #: The company's messages after the partner's last one: what the partner has not answered.
    unread: int


def _waiting_replies() -> sa.ScalarSelect[int]:
    """Per ticket: the company's replies newer than the partner's own last message."""
    own, reply = aliased(Message), aliased(Message)
    last_own = (
        sa.select(sa.func.max(own.created_at))
        .where(own.ticket_id == Ticket.id, own.direction == Direction.INBOUND)
        .correlate(Ticket)
        .scalar_subquery()
    )
    return (
        sa.select(sa.func.count())
        .select_from(reply)
        .where(
            reply.ticket_id == Ticket.id,
            reply.direction == Direction.OUTBOUND,
            sa.or_(last_own.is_(None), reply.created_at > last_own),
        )
        .correlate(Ticket)
        .scalar_subquery()
    )


async def conversations(session: AsyncSession, actor: Actor, *, limit: int = 100) -> list[Conversation]:
    """The portal's conversations ``actor`` may see, newest first."""
    rows = await session.execute(
        scope.restrict(
            sa.select(
                Ticket.id,
                Ticket.number,
                Ticket.subject,
                Ticket.status,
                Ticket.last_message_at,
                _waiting_replies(),
            ).where(Ticket.channel_kind == ChannelKind.PORTAL),
            actor,
            Ticket,
        )
        .order_by(Ticket.last_message_at.desc(), Ticket.id)
        .limit(limit)
    )
    return [Conversation(row[0], row[1], row[2], row[3].value, row[4], int(row[5] or 0)) for row in rows]


async def unread(session: AsyncSession, actor: Actor) -> int:
    """The company's replies the partner has not answered yet, over all its portal conversations."""
    return sum(c.unread for c in await conversations(session, actor, limit=500))
