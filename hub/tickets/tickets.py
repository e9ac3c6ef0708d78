"""What people do to tickets: reply, note, assign, move status, set priority, scenario and tags.

A reply is a message plus an outbox row in one transaction; the delivery job is enqueued only
after commit, and the outbox sweeper re-drives it if that enqueue or the worker is lost.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import scope
from hub.actors import Actor
from hub.core import Hub
from hub.domain import (
    DeliveryStatus,
    Direction,
    Priority,
    Role,
    Scenario,
    TicketEventKind,
    TicketStatus,
)
from hub.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from hub.events import TicketRef
from hub.html import sanitise
from hub.models import Attachment, Channel, ContactIdentity, Message, Outbox, Ticket, User
from hub.playbooks import gate as playbook_gate
from hub.requirements import handoffs, requirements
from hub.sla import service as sla
from hub.tickets import assignment, collision, drafts, escalation, events, search, timeline, windows
from hub.tickets.status import RESOLVED_CATEGORY, can_move, events_for
from hub.uow import UnitOfWork

DELIVER_JOB = "deliver_outbox"


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Draft:
    text: str
    html: str | None = None
    attachments: list[NewAttachment] = field(default_factory=list)
    #: Replies only: answer on another of the contact's channels instead of the ticket's own.
    channel_id: uuid.UUID | None = None
    #: Replies only: send as the channel's approved template (the way past a closed reply window).
    template: bool = False
    #: Replies only: the last ticket event the agent saw; a reply or note by someone else since then
    #: stops this reply (:mod:`hub.tickets.collision`). None: not checked.
    seen_event: int | None = None


def decode_attachment(filename: str, content_type: str | None, data_base64: str) -> NewAttachment:
    try:
        data = base64.b64decode(data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(detail=f"attachment {filename!r} is not valid base64") from None
    return NewAttachment(
        filename=filename, content_type=content_type or "application/octet-stream", data=data
    )


async def load_for(
    session: AsyncSession, actor: Actor, ticket_id: uuid.UUID, *, lock: bool = False
) -> Ticket:
    """The ticket if this actor may see it (:mod:`hub.scope`). Anything else is 'not found', never
    'forbidden': a partner must not learn that another organization's ticket exists."""
    ticket = await scope.one(session, actor, Ticket, ticket_id, lock=lock)
    if ticket is None:
        raise NotFound(what="ticket")
    return ticket


def _require_staff(actor: Actor) -> None:
    if actor.kind == "user" and not actor.is_staff:
        raise Forbidden()


async def reply(hub: Hub, actor: Actor, ticket_id: uuid.UUID, draft: Draft) -> Message:
    """A human response to the client on the ticket's channel, delivered through the outbox."""
    _require_staff(actor)
    _check_draft(hub, draft)
    async with hub.uow() as uow:
        now = hub.clock.now()
        ticket = await load_for(uow.session, actor, ticket_id, lock=True)
        await collision.check(uow.session, actor, ticket.id, draft.seen_event)
        channel = await _reply_channel(uow.session, ticket, draft)
        if draft.template:
            if not channel.config.get("template_id"):
                raise InvalidInput(detail=f"channel {channel.name} has no template configured")
            spent = None
        else:
            spent = await windows.spend(uow.session, channel, ticket.contact_id, now=now)
        # A running playbook's tone rules: a blocking phrase stops the reply, a warning is kept on it.
        tone = await playbook_gate.check_reply(uow, ticket, draft.text, locale="zh-CN", now=now)
        message = _new_message(ticket, actor, Direction.OUTBOUND, draft, now=now)
        message.channel_id = channel.id
        message.delivery_status = DeliveryStatus.QUEUED
        if draft.template:
            message.meta = {"via": "template"}
        elif spent:
            message.meta = {"window": spent}
        if tone:
            message.meta = {
                **(message.meta or {}),
                "tone": [{"phrase": i.phrase, "rule": i.rule} for i in tone],
            }
        uow.session.add(message)
        await uow.session.flush()
        _add_attachments(hub, uow, message.id, draft, now)
        outbox = Outbox(id=uuid.uuid4(), message_id=message.id, channel_id=channel.id, next_attempt_at=now)
        uow.session.add(outbox)
        timeline.append(
            uow.session,
            ticket.id,
            TicketEventKind.HUMAN_RESPONSE,
            at=now,
            actor_user_id=actor.user_id,
            message_id=message.id,
        )
        await requirements.on_reply(uow, ticket.id, actor=actor, message_id=message.id, now=now)
        await handoffs.on_response(uow, ticket, actor=actor, message_id=message.id, now=now)
        if ticket.status is TicketStatus.NEW:
            await _move(uow, ticket, TicketStatus.OPEN, actor, now=now)
        if ticket.assignee_id is None and actor.user_id is not None:
            await assignment.assign(
                uow, ticket, actor.user_id, actor=actor, reason="answered the ticket", now=now
            )
        await drafts.discard(uow.session, ticket.id, actor.user_id, "reply")
        ticket.updated_at = now
        await sla.refresh(uow, ticket)
        uow.enqueue(DELIVER_JOB, str(outbox.id), job_id=f"deliver:{outbox.id}:0")
        uow.emit(events.ReplyQueued(at=now, ticket=TicketRef.of(ticket), message_id=message.id))
        await uow.commit()
        return message


async def _reply_channel(session: AsyncSession, ticket: Ticket, draft: Draft) -> Channel:
    """The ticket's channel, or another one the agent chose, if the contact can be reached there."""
    channel = await session.get(Channel, draft.channel_id or ticket.channel_id)
    if channel is None:
        raise NotFound(what="channel")
    if channel.id == ticket.channel_id:
        return channel
    if not channel.is_active:
        raise InvalidInput(detail=f"channel {channel.name} is disabled")
    reachable = await session.scalar(
        sa.select(sa.func.count())
        .select_from(ContactIdentity)
        .where(ContactIdentity.contact_id == ticket.contact_id, windows.identity_filter(channel))
    )
    if not reachable:
        raise InvalidInput(detail=f"the contact has no address on channel {channel.name}")
    return channel


async def note(hub: Hub, actor: Actor, ticket_id: uuid.UUID, draft: Draft) -> Message:
    """An internal note: visible to staff only, never sent, never a response."""
    _require_staff(actor)
    _check_draft(hub, draft)
    async with hub.uow() as uow:
        now = hub.clock.now()
        ticket = await load_for(uow.session, actor, ticket_id, lock=True)
        message = _new_message(ticket, actor, Direction.NOTE, draft, now=now)
        uow.session.add(message)
        await uow.session.flush()
        _add_attachments(hub, uow, message.id, draft, now)
        timeline.append(
            uow.session,
            ticket.id,
            TicketEventKind.NOTE,
            at=now,
            actor_user_id=actor.user_id,
            message_id=message.id,
        )
        await handoffs.on_response(uow, ticket, actor=actor, message_id=message.id, now=now)
        await drafts.discard(uow.session, ticket.id, actor.user_id, "note")
        ticket.updated_at = now
        uow.emit(events.NoteAdded(at=now, ticket=TicketRef.of(ticket), message_id=message.id))
        await uow.commit()
        return message


def _check_draft(hub: Hub, draft: Draft) -> None:
    if not (draft.text.strip() or draft.html or draft.attachments):
        raise InvalidInput(detail="the message is empty")
    for item in draft.attachments:
        if len(item.data) > hub.settings.attachment_max_bytes:
            raise InvalidInput(
                detail=f"attachment {item.filename!r} is larger than {hub.settings.attachment_max_bytes} bytes"
            )


def _new_message(
    ticket: Ticket, actor: Actor, direction: Direction, draft: Draft, *, now: datetime
) -> Message:
    return Message(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        direction=direction,
        type="text",
        author_user_id=actor.user_id,
        text=draft.text,
        html=sanitise(draft.html) if draft.html else None,
        created_at=now,
        # Internal notes are never searchable (hub.tickets.views), so they get no search document.
        search=None if direction is Direction.NOTE else search.document(draft.text),
    )


def _add_attachments(hub: Hub, uow: UnitOfWork, message_id: uuid.UUID, draft: Draft, now: datetime) -> None:
    for item in draft.attachments:
        digest = hub.storage.put(item.data)
        uow.session.add(
            Attachment(
                id=uuid.uuid4(),
                message_id=message_id,
                filename=item.filename[:255] or "attachment",
                content_type=item.content_type[:127],
                size=len(item.data),
                sha256=digest,
                created_at=now,
            )
        )


async def assign(
    hub: Hub, actor: Actor, ticket_id: uuid.UUID, assignee_id: uuid.UUID | None, *, reason: str | None = None
) -> Ticket:
    _require_staff(actor)
    async with hub.uow() as uow:
        now = hub.clock.now()
        ticket = await load_for(uow.session, actor, ticket_id, lock=True)
        if assignee_id is not None:
            user = await uow.session.get(User, assignee_id)
            if user is None or not user.is_active or user.role is Role.PARTNER:
                raise InvalidInput(detail="the assignee must be an active agent, supervisor or admin")
        await assignment.assign(
            uow, ticket, assignee_id, actor=actor, reason=reason or "manual reassignment", now=now
        )
        ticket.updated_at = now
        await uow.commit()
        return ticket


async def _move(
    uow: UnitOfWork, ticket: Ticket, target: TicketStatus, actor: Actor, *, now: datetime
) -> None:
    current = ticket.status
    if current is target:
        return
    if not can_move(current, target):
        # Catalogue codes, so a Chinese reader sees 已关闭 rather than "closed" (hub.i18n).
        raise InvalidTransition(current=f"status_{current.value}", target=f"status_{target.value}")
    if target is TicketStatus.RESOLVED or (
        target is TicketStatus.CLOSED and current not in RESOLVED_CATEGORY
    ):
        await playbook_gate.gate(uow, ticket)  # required playbook steps open: 409 naming them
    ticket.status = target
    if target is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    if target is TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    if target is TicketStatus.OPEN and current in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.reopen_count += 1
        ticket.resolved_at = ticket.closed_at = None
    timeline.append(
        uow.session,
        ticket.id,
        TicketEventKind.STATUS_CHANGED,
        at=now,
        actor_user_id=actor.user_id,
        previous=current,
        status=target,
    )
    for kind in events_for(current, target):
        timeline.append(uow.session, ticket.id, kind, at=now, actor_user_id=actor.user_id, by="agent")
    if target in RESOLVED_CATEGORY:
        escalation.descend(uow, ticket, actor=actor, now=now, reason=target.value)
    uow.emit(
        events.StatusChanged(
            at=now, ticket=TicketRef.of(ticket), actor=actor, previous=current.value, status=target.value
        )
    )


async def set_status(hub: Hub, actor: Actor, ticket_id: uuid.UUID, target: TicketStatus) -> Ticket:
    _require_staff(actor)
    async with hub.uow() as uow:
        now = hub.clock.now()
        ticket = await load_for(uow.session, actor, ticket_id, lock=True)
        await _move(uow, ticket, target, actor, now=now)
        ticket.updated_at = now
        await sla.refresh(uow, ticket)
        uow.emit(events.TicketUpdated(at=now, ticket=TicketRef.of(ticket), field="status"))
        await uow.commit()
        return ticket


async def set_priority(hub: Hub, actor: Actor, ticket_id: uuid.UUID, priority: Priority) -> Ticket:
    return await _set_field(hub, actor, ticket_id, "priority", priority, TicketEventKind.PRIORITY_CHANGED)


async def set_scenario(hub: Hub, actor: Actor, ticket_id: uuid.UUID, scenario: Scenario) -> Ticket:
    return await _set_field(hub, actor, ticket_id, "scenario", scenario, TicketEventKind.SCENARIO_CHANGED)


async def _set_field(
    hub: Hub, actor: Actor, ticket_id: uuid.UUID, name: str, value: Priority | Scenario, kind: TicketEventKind
) -> Ticket:
    _require_staff(actor)
    async with hub.uow() as uow:
        now = hub.clock.now()
        ticket = await load_for(uow.session, actor, ticket_id, lock=True)
        previous = getattr(ticket, name)
        if previous is value:
            return ticket
        setattr(ticket, name, value)
        ticket.updated_at = now
        timeline.append(
            uow.session, ticket.id, kind, at=now, actor_user_id=actor.user_id, previous=previous, value=value
        )
        await sla.refresh(uow, ticket)  # the priority chooses the policy
        uow.emit(
            events.FieldChanged(
                at=now,
                ticket=TicketRef.of(ticket),
                field=name,
                actor=actor,
                previous=previous.value,
                value=value.value,
            )
        )
        await uow.commit()
        return ticket


#: Characters of a tag, as stored.
MAX_TAG = 64


def _clean_tag(tag: str) -> str:
    cleaned = " ".join(tag.split()).lower()
    if not cleaned or len(cleaned) > MAX_TAG:
        raise InvalidInput(detail=f"tag {tag!r} must have 1 to {MAX_TAG} characters")
    return cleaned


async def change_tags(
    hub: Hub, actor: Actor, ticket_id: uuid.UUID, *, add: list[str], remove: list[str]
) -> Ticket:
    _require_staff(actor)
    added = [_clean_tag(t) for t in add]
    removed = {_clean_tag(t) for t in remove}
    async with hub.uow() as uow:
        now = hub.clock.now()
        ticket = await load_for(uow.session, actor, ticket_id, lock=True)
        previous = list(ticket.tags)
        tags = [t for t in previous if t not in removed]
        tags += [t for t in dict.fromkeys(added) if t not in tags]
        if tags == previous:
            return ticket
        ticket.tags = tags
        ticket.updated_at = now
        timeline.append(
            uow.session,
            ticket.id,
            TicketEventKind.TAGS_CHANGED,
            at=now,
            actor_user_id=actor.user_id,
            previous=previous,
            tags=tags,
        )
        uow.emit(
            events.TagsChanged(at=now, ticket=TicketRef.of(ticket), actor=actor, previous=previous, tags=tags)
        )
        await uow.commit()
        return ticket


@dataclass(frozen=True)
class LoggedCall:
    """A call an agent had outside any PBX, told by hand: the same ``call`` message a line's log
    makes (its ``meta`` written by the phone channel), on this ticket."""

    direction: Direction
    started_at: datetime
    #: The client picked up (outbound) or an agent did (inbound).
    answered: bool
    notes: str
    meta: dict[str, object]


async def log_call(hub: Hub, actor: Actor, ticket_id: uuid.UUID, call: LoggedCall) -> Message:
    """Put a call on the ticket at its own time. The clocks read it as they read a PBX's calls: a
    client's call answered, or an agent's call that reached the client, is the team's response at
    the call's start; a client's call nobody took owes a callback; an attempt that reached nobody
    answers nothing and takes nothing up."""
    _require_staff(actor)
    if call.direction not in (Direction.INBOUND, Direction.OUTBOUND):
        raise InvalidInput(detail="a call is inbound or outbound")
    if call.started_at.tzinfo is None:
        raise InvalidInput(detail="the call's start needs its time zone")
    now = hub.clock.now()
    if call.started_at > now:
        raise InvalidInput(detail="the call's start is in the future")
    async with hub.uow() as uow:
        ticket = await load_for(uow.session, actor, ticket_id, lock=True)
        inbound = call.direction is Direction.INBOUND
        at = call.started_at
        message = Message(
            id=uuid.uuid4(),
            ticket_id=ticket.id,
            direction=call.direction,
            type="call",
            channel_id=ticket.channel_id,
            author_user_id=None if inbound else actor.user_id,
            author_contact_id=ticket.contact_id if inbound else None,
            text=call.notes,
            meta={"call": call.meta},
            sent_at=at,
            created_at=at,
            search=search.document(call.notes),
        )
        uow.session.add(message)
        await uow.session.flush()
        if inbound:
            timeline.append(
                uow.session,
                ticket.id,
                TicketEventKind.CUSTOMER_MESSAGE,
                at=at,
                message_id=message.id,
                channel_kind=ticket.channel_kind,
            )
        if call.answered:
            timeline.append(
                uow.session,
                ticket.id,
                TicketEventKind.HUMAN_RESPONSE,
                at=at,
                actor_user_id=actor.user_id,
                message_id=message.id,
            )
            if ticket.status is TicketStatus.NEW:
                await _move(uow, ticket, TicketStatus.OPEN, actor, now=now)
            if ticket.assignee_id is None and actor.user_id is not None:
                await assignment.assign(
                    uow, ticket, actor.user_id, actor=actor, reason="answered the ticket", now=now
                )
        elif inbound and ticket.status in (TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED):
            await _move(uow, ticket, TicketStatus.OPEN, actor, now=now)  # the client called: they wait
        ticket.last_message_at = max(ticket.last_message_at or at, at)
        ticket.updated_at = now
        await sla.refresh(uow, ticket)
        uow.emit(
            events.CallLogged(
                at=now, ticket=TicketRef.of(ticket), message_id=message.id, direction=call.direction.value
            )
        )
        await uow.commit()
        return message
