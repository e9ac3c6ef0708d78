"""Merging two tickets about the same thing, splitting a message out into a ticket of its own, and
undoing either (supervisors).

A merge moves the source's messages (their attachments follow) and threading keys to the target,
and the source, closed, points at the target: it leaves every list and count, and traffic that
still finds it (a reply to its e-mail token) lands on the target. Its own event log stays where
it is, and ``merged`` ends its clock cycle without counting as resolved. What moved is kept in a
``ticket_merges`` row, so undoing moves exactly those messages back, gives the source its status
again and starts a new clock cycle if it was active. A split is the same record the other way:
one message out of a ticket into a new one, which undoing merges back.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.domain import ACTIVE_STATUSES, Direction, TicketEventKind, TicketStatus
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events import TicketRef
from hub.models import Contact, Message, ThreadRef, Ticket, TicketMerge
from hub.sla import service as sla
from hub.tickets import events, search, timeline
from hub.tickets.tickets import load_for
from hub.uow import UnitOfWork

MERGE, SPLIT = "merge", "split"


async def _pair(uow: UnitOfWork, actor: Actor, first: uuid.UUID, second: uuid.UUID) -> tuple[Ticket, Ticket]:
    """Both tickets, locked in id order (two merges the other way round never deadlock)."""
    locked = {i: await load_for(uow.session, actor, i, lock=True) for i in sorted({first, second})}
    return locked[first], locked[second]


async def _moved(
    uow: UnitOfWork, model: type[Message] | type[ThreadRef], ids: list[uuid.UUID], to: uuid.UUID
) -> None:
    if ids:
        await uow.session.execute(sa.update(model).where(model.id.in_(ids)).values(ticket_id=to))


async def merge(
    hub: Hub, actor: Actor, source_id: uuid.UUID, target_id: uuid.UUID, *, reason: str | None = None
) -> TicketMerge:
    """Fold ``source`` into ``target`` (staff); 409 when either was merged already."""
    permissions.require_staff(actor)
    if source_id == target_id:
        raise InvalidInput("merge_into_itself")
    async with hub.uow() as uow:
        source, target = await _pair(uow, actor, source_id, target_id)
        if source.merged_into_id is not None or target.merged_into_id is not None:
            raise Conflict("ticket_already_merged")
        record = await _fold(uow, actor, source, target, kind=MERGE, reason=reason)
        await uow.commit()
        return record


async def _fold(
    uow: UnitOfWork, actor: Actor, source: Ticket, target: Ticket, *, kind: str, reason: str | None
) -> TicketMerge:
    """Move everything of ``source`` to ``target`` and close it as merged (a merge, or a split undone)."""
    session, now = uow.session, uow.hub.clock.now()
    message_ids = list(await session.scalars(sa.select(Message.id).where(Message.ticket_id == source.id)))
    ref_ids = list(await session.scalars(sa.select(ThreadRef.id).where(ThreadRef.ticket_id == source.id)))
    await _moved(uow, Message, message_ids, target.id)
    await _moved(uow, ThreadRef, ref_ids, target.id)
    record = TicketMerge(
        id=uuid.uuid4(),
        kind=kind,
        source_id=source.id,
        target_id=target.id,
        message_ids=message_ids,
        thread_ref_ids=ref_ids,
        source_status=source.status.value,
        actor_id=actor.user_id,
        reason=reason,
        created_at=now,
    )
    session.add(record)
    previous = source.status
    source.merged_into_id = target.id
    source.status = TicketStatus.CLOSED
    source.closed_at = now
    source.updated_at = now
    if previous is not TicketStatus.CLOSED:
        timeline.append(
            session,
            source.id,
            TicketEventKind.STATUS_CHANGED,
            at=now,
            actor_user_id=actor.user_id,
            previous=previous,
            status=TicketStatus.CLOSED,
            by="merge",
        )
    timeline.append(
        session,
        source.id,
        TicketEventKind.MERGED,
        at=now,
        actor_user_id=actor.user_id,
        into=target.id,
        merge_id=record.id,
    )
    timeline.append(
        session,
        target.id,
        TicketEventKind.MERGED_IN,
        at=now,
        actor_user_id=actor.user_id,
        source=source.id,
        number=source.number,
        merge_id=record.id,
    )
    target.last_message_at = max(target.last_message_at, source.last_message_at)
    target.updated_at = now
    await sla.refresh(uow, source)  # ``merged`` ends its cycle: no alert is owed any more
    await sla.refresh(uow, target)
    uow.emit(
        events.TicketsMerged(
            at=now,
            ticket=TicketRef.of(source),
            actor=actor,
            target_id=target.id,
            target_number=target.number,
            previous=previous.value,
            messages=len(message_ids),
            reason=reason,
        )
    )
    uow.emit(events.TicketUpdated(at=now, ticket=TicketRef.of(target), field="messages"))
    return record


@dataclass(frozen=True)
class Split:
    ticket: Ticket
    record: TicketMerge


async def split(
    hub: Hub, actor: Actor, ticket_id: uuid.UUID, message_id: uuid.UUID, *, subject: str | None = None
) -> Split:
    """Move one message out of a ticket into a new ticket of the same contact and channel (staff):
    a client who asked two things in one thread gets two tickets, each with its own clocks."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        source = await load_for(session, actor, ticket_id, lock=True)
        if source.merged_into_id is not None:
            raise Conflict("ticket_already_merged")
        message = await session.get(Message, message_id, with_for_update=True)
        if message is None or message.ticket_id != source.id:
            raise NotFound(what="message")
        left = await session.scalar(
            sa.select(sa.func.count()).where(Message.ticket_id == source.id, Message.id != message.id)
        )
        if not left:
            raise InvalidInput("split_only_message")
        contact = await session.get(Contact, source.contact_id)
        assert contact is not None
        title = " ".join((subject or source.subject).split())[: Ticket.subject.type.length]
        ticket = Ticket(
            id=uuid.uuid4(),
            subject=title,
            status=TicketStatus.OPEN,
            priority=source.priority,
            scenario=source.scenario,
            tags=list(source.tags),
            contact_id=source.contact_id,
            organization_id=source.organization_id,
            channel_id=source.channel_id,
            channel_kind=source.channel_kind,
            team_id=source.team_id,
            assignee_id=source.assignee_id,
            reply_token=secrets.token_hex(12),
            linked_ticket_id=source.id,
            search=search.document(title, contact.name),
            created_at=now,
            updated_at=now,
            last_message_at=message.created_at,
        )
        session.add(ticket)
        await session.flush()
        message.ticket_id = ticket.id
        record = TicketMerge(
            id=uuid.uuid4(),
            kind=SPLIT,
            source_id=source.id,
            target_id=ticket.id,
            message_ids=[message.id],
            thread_ref_ids=[],
            source_status=source.status.value,
            actor_id=actor.user_id,
            created_at=now,
        )
        session.add(record)
        timeline.append(session, ticket.id, TicketEventKind.CREATED, at=now, channel_kind=ticket.channel_kind)
        if message.direction is Direction.INBOUND and not message.is_auto:
            # The client's question waits for an answer in the new ticket, from when it was asked.
            timeline.append(
                session,
                ticket.id,
                TicketEventKind.CUSTOMER_MESSAGE,
                at=message.created_at,
                message_id=message.id,
                channel_kind=ticket.channel_kind,
            )
        timeline.append(
            session,
            ticket.id,
            TicketEventKind.SPLIT_FROM,
            at=now,
            actor_user_id=actor.user_id,
            source=source.id,
            number=source.number,
            merge_id=record.id,
        )
        timeline.append(
            session,
            source.id,
            TicketEventKind.SPLIT,
            at=now,
            actor_user_id=actor.user_id,
            message_id=message.id,
            into=ticket.id,
            merge_id=record.id,
        )
        source.updated_at = now
        await sla.refresh(uow, ticket)
        await sla.refresh(uow, source)
        uow.emit(
            events.TicketSplit(
                at=now,
                ticket=TicketRef.of(source),
                actor=actor,
                new_id=ticket.id,
                new_number=ticket.number,
                message_id=message.id,
            )
        )
        uow.emit(events.TicketUpdated(at=now, ticket=TicketRef.of(ticket), field="created"))
        await uow.commit()
        return Split(ticket=ticket, record=record)


async def undo(hub: Hub, actor: Actor, merge_id: uuid.UUID, *, reason: str | None = None) -> TicketMerge:
    """Undo a merge or a split (supervisors): the messages and threading keys that moved go back
    (those still on the ticket they went to), and the merged ticket has its status again."""
    permissions.require_supervisor(actor)
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        record = await session.get(TicketMerge, merge_id, with_for_update=True)
        if record is None:
            raise NotFound(what="ticket_merge")
        if record.undone_at is not None:
            raise Conflict("merge_already_undone")
        source, target = await _pair(uow, actor, record.source_id, record.target_id)
        record.undone_at, record.undone_by_id = now, actor.user_id
        if record.kind == SPLIT:
            # The new ticket goes back into the one it came from, as a merge would fold it.
            if target.merged_into_id is not None:
                raise Conflict("ticket_already_merged")
            await _fold(uow, actor, target, source, kind=MERGE, reason=reason or "split undone")
            _undone(uow, actor, record, source, target, reason)
            await uow.commit()
            return record
        if source.merged_into_id != target.id:
            raise Conflict("ticket_no_longer_merged")
        still = list(
            await session.scalars(
                sa.select(Message.id).where(
                    Message.id.in_(record.message_ids), Message.ticket_id == target.id
                )
            )
        )
        await _moved(uow, Message, still, source.id)
        refs = list(
            await session.scalars(
                sa.select(ThreadRef.id).where(
                    ThreadRef.id.in_(record.thread_ref_ids), ThreadRef.ticket_id == target.id
                )
            )
        )
        await _moved(uow, ThreadRef, refs, source.id)
        back = TicketStatus(record.source_status)
        source.merged_into_id = None
        source.status = back
        source.updated_at = now
        if back is not TicketStatus.CLOSED:
            source.closed_at = None
            timeline.append(
                session,
                source.id,
                TicketEventKind.STATUS_CHANGED,
                at=now,
                actor_user_id=actor.user_id,
                previous=TicketStatus.CLOSED,
                status=back,
                by="unmerge",
            )
        if back in ACTIVE_STATUSES:
            # ``merged`` ended the clock cycle: an active ticket is owed a new one.
            timeline.append(
                session,
                source.id,
                TicketEventKind.REOPENED,
                at=now,
                actor_user_id=actor.user_id,
                by="unmerge",
            )
        for ticket in (source, target):
            timeline.append(
                session,
                ticket.id,
                TicketEventKind.UNMERGED,
                at=now,
                actor_user_id=actor.user_id,
                merge_id=record.id,
            )
        target.updated_at = now
        await sla.refresh(uow, source)
        await sla.refresh(uow, target)
        _undone(uow, actor, record, source, target, reason)
        await uow.commit()
        return record


def _undone(
    uow: UnitOfWork, actor: Actor, record: TicketMerge, source: Ticket, target: Ticket, reason: str | None
) -> None:
    now = uow.hub.clock.now()
    uow.emit(
        events.MergeUndone(
            at=now,
            ticket=TicketRef.of(source),
            actor=actor,
            kind=record.kind,
            other_id=target.id,
            reason=reason,
        )
    )
    uow.emit(events.TicketUpdated(at=now, ticket=TicketRef.of(target), field="messages"))


async def merges_of(hub: Hub, actor: Actor, ticket_id: uuid.UUID) -> list[TicketMerge]:
    """The merges and splits a ticket took part in, newest first (staff)."""
    permissions.require_staff(actor)
    async with hub.session_factory() as session:
        ticket = await load_for(session, actor, ticket_id)
        rows = await session.scalars(
            sa.select(TicketMerge)
            .where(sa.or_(TicketMerge.source_id == ticket.id, TicketMerge.target_id == ticket.id))
            .order_by(TicketMerge.created_at.desc())
        )
        return list(rows)
