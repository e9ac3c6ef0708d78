"""Delivering outbox rows through the channel's sender, with retries, a lease and re-drive.

A worker *claims* a row by moving it to ``delivering`` with a lease (``next_attempt_at`` in the
future) in its own short transaction, sends with no database lock held, then records the outcome.
The claim is a single conditional UPDATE, so two jobs for the same row never both send.

If the worker dies mid-send, the lease runs out and :func:`redrive` hands the row to another job,
which cannot know whether the message left. A channel whose receiver drops repeats (the API
channel's delivery id) sends it again; any other (a mail, a WeChat message) is never sent twice:
the row fails as "outcome unknown", on the ticket for an agent to check and retry. At most once,
and never silently lost.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from hub import metrics, permissions, scope
from hub.actors import Actor
from hub.core import Hub
from hub.delivery.outbound import DeliveryResult, OutboundAttachment, OutboundMessage
from hub.domain import DeliveryStatus, Direction, OutboxStatus, TicketEventKind
from hub.errors import Conflict, DeliveryError, NotFound, RetryLater
from hub.events import TicketRef
from hub.models import Attachment, Channel, ContactIdentity, Message, Outbox, ThreadRef, Ticket, User
from hub.requirements import requirements
from hub.sla import service as sla
from hub.tickets import events, timeline, windows
from hub.tickets.tickets import DELIVER_JOB
from hub.uow import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
#: A pending row this late was surely not picked up by its job (lost enqueue or dead worker).
REDRIVE_GRACE = timedelta(seconds=30)
_ACTIVE = [OutboxStatus.PENDING.value, OutboxStatus.DELIVERING.value]
#: Delivery error codes (hub.errors.DeliveryError.code) that tell the hub about the contact.
WINDOW_CLOSED, QUOTA_EXHAUSTED, RECIPIENT_LEFT = (
    "delivery_window_closed",
    "delivery_quota_exhausted",
    "delivery_recipient_left",
)


def backoff(attempt: int) -> float:
    """10 s, 20 s, 40 s ... capped at one hour."""
    return float(min(10 * 2 ** max(attempt - 1, 0), 3600))


async def deliver(hub: Hub, outbox_id: uuid.UUID) -> str:
    """Returns ``sent``, ``failed`` or ``skipped``; raises :class:`RetryLater` for a transient failure
    and for a row still waiting out its backoff."""
    claimed = await _claim(hub, outbox_id)
    if claimed is None:
        return await _interrupted(hub, outbox_id)
    outbound, attempts, kind = claimed
    sender = hub.channels.sender_for(kind)
    try:
        if sender is None:
            raise DeliveryError(
                f"no sender is configured for {kind} channels",
                transient=False,
                code="delivery_no_sender",
                params={"kind": kind},
            )
        result = await sender.send(outbound)
    except DeliveryError as exc:
        return await _record_failure(hub, outbox_id, exc, attempts=attempts, kind=kind)
    except Exception as exc:  # a bug or an unexpected library error: retry, but say what it was
        log.exception("sender for %s raised unexpectedly", kind)
        error = DeliveryError(f"{type(exc).__name__}: {exc}", transient=True)
        return await _record_failure(hub, outbox_id, error, attempts=attempts, kind=kind)
    await _record_success(hub, outbox_id, result)
    metrics.DELIVERIES.labels(channel=kind, outcome="sent").inc()
    return "sent"


async def _interrupted(hub: Hub, outbox_id: uuid.UUID) -> str:
    """A row left ``delivering`` by a worker that died mid-send (its lease ran out): sent again
    where a repeat is harmless, else failed as "outcome unknown" (see the module's docstring)."""
    async with hub.uow() as uow:
        found = (
            await uow.session.execute(
                sa.select(Outbox.attempts, Channel.kind)
                .join(Channel, Channel.id == Outbox.channel_id)
                .where(
                    Outbox.id == outbox_id,
                    Outbox.status == OutboxStatus.DELIVERING,
                    Outbox.next_attempt_at <= hub.clock.now(),
                )
            )
        ).one_or_none()
    if found is None:
        return "skipped"
    attempts, kind = found
    sender = hub.channels.sender_for(kind.value)
    if sender is not None and getattr(sender, "resend_safe", False):
        claimed = await _claim(hub, outbox_id, interrupted=True)
        if claimed is None:
            return "skipped"
        outbound, attempts, kind_name = claimed
        try:
            result = await sender.send(outbound)
        except DeliveryError as exc:
            return await _record_failure(hub, outbox_id, exc, attempts=attempts, kind=kind_name)
        await _record_success(hub, outbox_id, result)
        metrics.DELIVERIES.labels(channel=kind_name, outcome="sent").inc()
        return "sent"
    unknown = DeliveryError(
        "the worker stopped while sending this message: it may or may not have arrived",
        transient=False,
        code="delivery_outcome_unknown",
    )
    return await _record_failure(hub, outbox_id, unknown, attempts=attempts, kind=kind.value)


async def _claim(
    hub: Hub, outbox_id: uuid.UUID, *, interrupted: bool = False
) -> tuple[OutboundMessage, int, str] | None:
    """Move a due row to ``delivering``. A due row is a pending one past its backoff (a duplicate
    job, a re-drive or a second enqueue, must not spend the next attempt early); with
    ``interrupted``, a ``delivering`` one whose lease ran out."""
    async with hub.uow() as uow:
        now = hub.clock.now()
        row = await uow.session.execute(
            sa.update(Outbox)
            .where(
                Outbox.id == outbox_id,
                Outbox.status == (OutboxStatus.DELIVERING if interrupted else OutboxStatus.PENDING),
                Outbox.next_attempt_at <= now,
            )
            .values(status=OutboxStatus.DELIVERING, attempts=Outbox.attempts + 1, next_attempt_at=now + LEASE)
            .returning(Outbox.attempts, Outbox.message_id)
        )
        claimed = row.one_or_none()
        if claimed is None:
            due_at = await uow.session.scalar(
                sa.select(Outbox.next_attempt_at).where(
                    Outbox.id == outbox_id, Outbox.status == OutboxStatus.PENDING
                )
            )
            await uow.commit()
            if due_at is not None:
                # Not due yet (backoff, or the enqueuer's clock runs ahead of ours): come back then
                # rather than leave the row to the slower re-drive sweep.
                raise RetryLater(max((due_at - now).total_seconds(), 0.0), "not due yet")
            return None
        attempts, message_id = claimed
        await uow.session.execute(
            sa.update(Message).where(Message.id == message_id).values(delivery_status=DeliveryStatus.SENDING)
        )
        outbound, kind = await _outbound(uow.session, outbox_id, message_id)
        await uow.commit()
        return outbound, attempts, kind


async def _outbound(
    session: AsyncSession, outbox_id: uuid.UUID, message_id: uuid.UUID
) -> tuple[OutboundMessage, str]:
    """Everything a sender needs, loaded once while the claim is held, so senders never query."""
    message = await session.get(Message, message_id)
    assert message is not None and message.channel_id is not None
    ticket = await session.get(Ticket, message.ticket_id)
    channel = await session.get(Channel, message.channel_id)
    assert ticket is not None and channel is not None
    recipients = await session.scalars(
        sa.select(ContactIdentity.value)
        .where(ContactIdentity.contact_id == ticket.contact_id, windows.identity_filter(channel))
        .order_by(ContactIdentity.created_at.desc())
    )
    references = await session.scalars(
        sa.select(Message.external_id)
        .where(
            Message.ticket_id == ticket.id,
            Message.direction == Direction.INBOUND,
            Message.external_id.is_not(None),
            Message.channel_id == channel.id,
        )
        .order_by(Message.created_at)
    )
    attachments = await session.scalars(sa.select(Attachment).where(Attachment.message_id == message.id))
    author = await session.get(User, message.author_user_id) if message.author_user_id else None
    thread_ref = await session.scalar(
        sa.select(ThreadRef.ref)
        .where(ThreadRef.ticket_id == ticket.id, ThreadRef.channel_id == channel.id)
        .limit(1)
    )
    outbound = OutboundMessage(
        outbox_id=outbox_id,
        message_id=message.id,
        ticket_id=ticket.id,
        ticket_number=ticket.number,
        channel_id=channel.id,
        channel_kind=channel.kind.value,
        channel_config=dict(channel.config),
        recipients=tuple(recipients),
        # An automatic message may carry a subject of its own (an acknowledgement's).
        subject=message.meta.get("subject") or ticket.subject,
        text=message.text,
        html=message.html,
        attachments=tuple(
            OutboundAttachment(filename=a.filename, content_type=a.content_type, sha256=a.sha256, size=a.size)
            for a in attachments
        ),
        reply_token=ticket.reply_token,
        author_name=author.name if author else None,
        references=tuple(r for r in references if r),
        thread_ref=thread_ref,
        is_auto=message.is_auto,
        template=message.meta.get("via") == "template",
        csat=message.meta.get("csat"),
    )
    return outbound, channel.kind.value


async def _record_success(hub: Hub, outbox_id: uuid.UUID, result: DeliveryResult) -> None:
    async with hub.uow() as uow:
        now = hub.clock.now()
        outbox = await uow.session.get(Outbox, outbox_id, with_for_update=True)
        assert outbox is not None
        # A send that outlived its lease and was given up as "outcome unknown" did arrive after all.
        was_given_up = outbox.status is OutboxStatus.FAILED
        outbox.status = OutboxStatus.SENT
        outbox.sent_at = now
        outbox.last_error = None
        message = await uow.session.get(Message, outbox.message_id)
        assert message is not None
        message.delivery_status = DeliveryStatus.SENT
        message.delivery_error = None
        if "delivery_error" in message.meta:
            message.meta = {k: v for k, v in message.meta.items() if k != "delivery_error"}
        if result.external_id and message.external_id is None:
            await _keep_external_id(uow.session, message, result.external_id[:500])
        if was_given_up:
            ticket = await uow.session.get(Ticket, message.ticket_id)
            assert ticket is not None
            await sla.refresh(uow, ticket)  # the reply answers the client again
        await announce(uow, message)
        await uow.commit()


async def _keep_external_id(session: AsyncSession, message: Message, external_id: str) -> None:
    """The channel's id threads later replies to this message, but it shares the per-channel unique
    key with inbound ids; an integration that answers the same id twice, or one of its inbound ids,
    must not cost us the record that the message went out (the job would crash and send again)."""
    await session.flush()
    try:
        async with session.begin_nested():
            await session.execute(
                sa.update(Message)
                .where(Message.id == message.id)
                .values(external_id=external_id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        log.warning("channel id %r of message %s is already taken; kept in meta", external_id, message.id)
        message.meta = {**message.meta, "remote_id": external_id}
        return
    set_committed_value(message, "external_id", external_id)


async def _record_failure(
    hub: Hub, outbox_id: uuid.UUID, error: DeliveryError, *, attempts: int, kind: str
) -> str:
    async with hub.uow() as uow:
        now = hub.clock.now()
        outbox = await uow.session.get(Outbox, outbox_id, with_for_update=True)
        assert outbox is not None
        if outbox.status is not OutboxStatus.DELIVERING or outbox.attempts != attempts:
            # Our lease ran out and a later claim owns the row (it may even have delivered it):
            # recording this stale failure would put a sent message back in the queue.
            log.warning(
                "delivery %s attempt %d failed after losing its lease: %s", outbox_id, attempts, error
            )
            return "skipped"
        message = await uow.session.get(Message, outbox.message_id)
        assert message is not None
        outbox.last_error = error.reason[:2000]
        final = not error.transient or attempts >= hub.settings.outbox_max_attempts
        # The catalogue code and its parameters, so each agent reads the failure in their language;
        # a sender that gave none still failed in words of its own (a remote server's answer).
        said = {"code": error.code, "params": error.params} if error.code else _refused(error.reason)
        message.meta = {
            **message.meta,
            "delivery_error": {**said, "attempts": attempts, "gave_up": final and error.transient},
        }
        if error.code:
            await _learn(uow.session, message, error.code, now=now)
        if final:
            outbox.status = OutboxStatus.FAILED
            spent = message.meta.get("window")
            if spent and message.channel_id and error.code not in (WINDOW_CLOSED, QUOTA_EXHAUSTED):
                await windows.give_back(uow.session, message.channel_id, spent)
            reason = (
                error.reason if not error.transient else f"gave up after {attempts} attempts: {error.reason}"
            )
            mark_failed(uow.session, message, reason[:2000], now=now)
            await reopen_clocks(uow, message)
        else:
            delay = backoff(attempts)
            outbox.status = OutboxStatus.PENDING
            outbox.next_attempt_at = now + timedelta(seconds=delay)
            message.delivery_status = DeliveryStatus.QUEUED
            message.delivery_error = f"attempt {attempts} failed, retrying: {error.reason}"[:2000]
        await announce(uow, message)
        await uow.commit()
    metrics.DELIVERIES.labels(channel=kind, outcome="failed" if final else "retry").inc()
    if final:
        log.warning("delivery %s failed for good: %s", outbox_id, error.reason)
        return "failed"
    raise RetryLater(delay, error.reason)


def _refused(reason: str) -> dict[str, Any]:
    return {"code": "delivery_refused", "params": {"detail": reason}}


async def _learn(session: AsyncSession, message: Message, code: str, *, now: datetime) -> None:
    """What a refusal tells about the contact, kept so the next reply is refused up front."""
    if code not in (WINDOW_CLOSED, QUOTA_EXHAUSTED, RECIPIENT_LEFT) or message.channel_id is None:
        return
    ticket = await session.get(Ticket, message.ticket_id)
    assert ticket is not None
    if code == RECIPIENT_LEFT:
        channel = await session.get(Channel, message.channel_id)
        assert channel is not None
        await session.execute(
            sa.update(ContactIdentity)
            .where(ContactIdentity.contact_id == ticket.contact_id, windows.identity_filter(channel))
            .values(left_at=now)
        )
        return
    reason = "quota" if code == QUOTA_EXHAUSTED else "expired"
    await windows.close(session, message.channel_id, ticket.contact_id, reason=reason, now=now)


async def reopen_clocks(uow: UnitOfWork, message: Message) -> None:
    """A reply that failed for good answered nobody: the SLA clocks it had stopped run again, and
    the requirements it gave feedback on owe it again."""
    ticket = await uow.session.get(Ticket, message.ticket_id)
    assert ticket is not None
    await sla.refresh(uow, ticket)
    await requirements.on_delivery_failed(uow, message.id, now=uow.hub.clock.now())


def mark_failed(
    session: AsyncSession, message: Message, reason: str, *, now: datetime, **detail: Any
) -> None:
    """A message that failed for good, whether at sending or reported after it, reads the same on
    its ticket's timeline: one ``delivery_failed`` event with the reason the message keeps."""
    message.delivery_status = DeliveryStatus.FAILED
    message.delivery_error = reason
    timeline.append(
        session,
        message.ticket_id,
        TicketEventKind.DELIVERY_FAILED,
        at=now,
        message_id=message.id,
        reason=reason,
        **detail,
    )


async def announce(uow: UnitOfWork, message: Message) -> None:
    ticket = await uow.session.get(Ticket, message.ticket_id)
    assert ticket is not None
    uow.emit(
        events.MessageUpdated(
            at=uow.hub.clock.now(),
            ticket=TicketRef.of(ticket),
            message_id=message.id,
            delivery_status=message.delivery_status.value if message.delivery_status else None,
        )
    )


async def redrive(hub: Hub, *, include_failed: bool = False, limit: int = 500) -> int:
    """Re-enqueue deliveries whose job was lost; with ``include_failed``, give failed ones a new try.

    Safe to run from several workers at once: it only enqueues, and the claim decides who sends.
    """
    async with hub.uow() as uow:
        now = hub.clock.now()
        due = sa.or_(
            sa.and_(Outbox.status == OutboxStatus.PENDING, Outbox.next_attempt_at <= now - REDRIVE_GRACE),
            sa.and_(Outbox.status == OutboxStatus.DELIVERING, Outbox.next_attempt_at <= now),
        )
        if include_failed:
            revived = await uow.session.scalars(
                sa.update(Outbox)
                .where(Outbox.status == OutboxStatus.FAILED)
                .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now)
                .returning(Outbox.message_id)
            )
            message_ids = list(revived)
            if message_ids:
                await uow.session.execute(
                    sa.update(Message)
                    .where(Message.id.in_(message_ids))
                    .values(
                        delivery_status=DeliveryStatus.QUEUED,
                        delivery_error=None,
                        meta=Message.meta.op("-")("delivery_error"),
                    )
                )
                # On its way again, the reply answers the client again (see sla.events_for).
                for ticket in list(
                    await uow.session.scalars(
                        sa.select(Ticket).where(
                            Ticket.id.in_(sa.select(Message.ticket_id).where(Message.id.in_(message_ids)))
                        )
                    )
                ):
                    await sla.refresh(uow, ticket)
            due = sa.or_(due, Outbox.message_id.in_(message_ids)) if message_ids else due
        rows = (
            await uow.session.execute(
                sa.select(Outbox.id, Outbox.attempts).where(due).order_by(Outbox.next_attempt_at).limit(limit)
            )
        ).all()
        for outbox_id, attempts in rows:
            uow.enqueue(DELIVER_JOB, str(outbox_id), job_id=f"deliver:{outbox_id}:{attempts}:redrive")
        await uow.commit()
    if rows:
        log.info("re-driving %d outbox deliveries", len(rows))
    return len(rows)


async def outbox_depth(hub: Hub) -> dict[str, int]:
    async with hub.uow() as uow:
        rows = await uow.session.execute(
            sa.select(Outbox.status, sa.func.count())
            .where(Outbox.status.in_(_ACTIVE))
            .group_by(Outbox.status)
        )
        counts = {status.value: 0 for status in (OutboxStatus.PENDING, OutboxStatus.DELIVERING)}
        counts.update({status.value: count for status, count in rows})
        return counts


async def retry(hub: Hub, actor: Actor, ticket_id: uuid.UUID, message_id: uuid.UUID) -> Message:
    """An agent sends a failed reply again, from its ticket: the same message and outbox row, back
    in the queue with its failure cleared, the clocks it answered stopped again (``sla.refresh``),
    audited. Anything but a failed outbound message of a ticket the agent may see is refused."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        now = hub.clock.now()
        ticket = await scope.one(uow.session, actor, Ticket, ticket_id, lock=True)
        message = await uow.session.get(Message, message_id, with_for_update=True)
        if ticket is None or message is None or message.ticket_id != ticket.id:
            raise NotFound(what="message")
        outbox = await uow.session.scalar(
            sa.select(Outbox).where(Outbox.message_id == message.id).with_for_update()
        )
        if (
            message.direction is not Direction.OUTBOUND
            or message.delivery_status is not DeliveryStatus.FAILED
            or outbox is None
            or outbox.status is not OutboxStatus.FAILED
        ):
            raise Conflict("delivery_not_failed")
        previous = message.delivery_error
        outbox.status, outbox.attempts, outbox.next_attempt_at = OutboxStatus.PENDING, 0, now
        message.delivery_status = DeliveryStatus.QUEUED
        message.delivery_error = None
        message.meta = {k: v for k, v in (message.meta or {}).items() if k != "delivery_error"}
        await uow.session.flush()
        await sla.refresh(uow, ticket)
        uow.enqueue(DELIVER_JOB, str(outbox.id), job_id=f"deliver:{outbox.id}:retry:{now.timestamp()}")
        uow.emit(
            events.ReplyRetried(
                at=now,
                ticket=TicketRef.of(ticket),
                message_id=message.id,
                delivery_status=DeliveryStatus.QUEUED.value,
                actor=actor,
                previous_error=previous,
            )
        )
        await uow.commit()
        return message
