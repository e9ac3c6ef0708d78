"""E-mail into the hub: threading in the issue's order, copies to several mailboxes, automatic
mail, bounces, our own mail and acknowledgements (hub + channels.email.ingest, real PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from channels.email import ids
from channels.email.ingest import Outcome, RedisClaims
from hub.domain import DeliveryStatus, Direction, OutboxStatus, Role, TicketEventKind, TicketStatus
from hub.models import Message, Outbox, RawInbound, Ticket
from hub.tickets import tickets
from tests import factories
from tests.email_helpers import ingestor, mail, mailbox
from tests.fixtures.email.bounces.build_bounces import LOOKALIKES, OUR_ID, SAMPLES

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _ticket(hub, ticket_id) -> Ticket:
    return await factories.get(hub, Ticket, ticket_id)


async def _messages(hub, ticket_id) -> list[Message]:
    async with hub.uow() as uow:
        return list(
            await uow.session.scalars(
                sa.select(Message)
                .where(Message.ticket_id == ticket_id)
                .order_by(Message.created_at, Message.id)
            )
        )


# --- threading, in the order ------------------------------------------------------------


async def test_1_reply_token_in_the_reply_to_address_threads(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    first = await email.ingest(box.id, mail(subject="发票"))
    ticket = await _ticket(hub, first.ticket_id)
    # A fresh subject, no References: only the plus address names the ticket.
    to = ids.reply_address("support@hub.example", ticket.reply_token)
    second = await email.ingest(box.id, mail(to=to, subject="completely new words", text="补充"))
    assert first.outcome is Outcome.CREATED and second.outcome is Outcome.THREADED
    assert second.ticket_id == ticket.id


async def test_1_reply_token_in_our_message_id_threads(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    first = await email.ingest(box.id, mail())
    ticket = await _ticket(hub, first.ticket_id)
    ours = ids.ours(ticket.reply_token, uuid.uuid4().hex, "hub.example")
    # Our Message-ID alone (say the client's server rewrote the Reply-To): the token inside it threads.
    reply = await email.ingest(box.id, mail(subject="Re: x", headers={"In-Reply-To": ours}))
    assert reply.ticket_id == ticket.id and reply.outcome is Outcome.THREADED


async def test_2_in_reply_to_and_references_match_any_stored_message_id(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    first = await email.ingest(box.id, mail(message_id="<root@client.example>"))
    # A colleague answers the client's mail (not ours): matched by the stored Message-ID.
    reply = await email.ingest(
        box.id,
        mail(
            sender="colleague@client.example",
            subject="Re: 我的订单还没有发货",
            headers={"In-Reply-To": "<root@client.example>", "References": "<root@client.example>"},
        ),
    )
    assert reply.outcome is Outcome.THREADED and reply.ticket_id == first.ticket_id


async def _numbered(hub):
    """A mailbox, its ingestor, a first mail's result and its ticket's number, to cite in a subject."""
    box = await mailbox(hub)
    email = await ingestor(hub)
    first = await email.ingest(box.id, mail())
    return box, email, first, (await _ticket(hub, first.ticket_id)).number


async def test_3_subject_number_threads_for_a_participant(hub) -> None:
    box, email, first, number = await _numbered(hub)
    again = await email.ingest(box.id, mail(subject=f"补充信息 [#{number}]", text="电话 138..."))
    assert again.outcome is Outcome.THREADED and again.ticket_id == first.ticket_id


async def test_3_subject_number_from_a_stranger_opens_a_linked_ticket(hub) -> None:
    box, email, first, number = await _numbered(hub)
    stranger = await email.ingest(box.id, mail(sender="someone@else.example", subject=f"关于 [#{number}]"))
    assert stranger.outcome is Outcome.CREATED and stranger.ticket_id != first.ticket_id
    linked = await _ticket(hub, stranger.ticket_id)
    assert linked.linked_ticket_id == first.ticket_id
    assert len(await _messages(hub, first.ticket_id)) == 1
    trail = await factories.audit_trail(hub, linked.id)
    assert "outside it" in (trail[0].reason or "")


async def test_3_subject_number_of_a_ticket_that_does_not_exist_is_a_new_ticket(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    result = await email.ingest(box.id, mail(subject="旧单号 [#99999]"))
    assert result.outcome is Outcome.CREATED
    assert (await _ticket(hub, result.ticket_id)).linked_ticket_id is None


async def test_4_otherwise_a_new_ticket_even_from_the_same_sender_minutes_later(clocked_hub, clock) -> None:
    hub = clocked_hub
    box = await mailbox(hub)
    email = await ingestor(hub)
    first = await email.ingest(box.id, mail(subject="订单 A"))
    clock.advance(minutes=5)
    second = await email.ingest(box.id, mail(subject="完全另一件事"))
    assert second.outcome is Outcome.CREATED and second.ticket_id != first.ticket_id


async def test_a_reply_to_a_ticket_closed_past_the_reopen_window_opens_a_linked_ticket(
    clocked_hub, clock
) -> None:
    hub = clocked_hub
    box = await mailbox(hub)
    email = await ingestor(hub)
    agent = await factories.user(hub, Role.AGENT)
    first = await email.ingest(box.id, mail(message_id="<old@client.example>"))
    for status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        await tickets.set_status(hub, factories.actor(agent), first.ticket_id, status)
    clock.advance(days=30)
    late = await email.ingest(
        box.id, mail(subject="Re: old", headers={"In-Reply-To": "<old@client.example>"})
    )
    assert late.outcome is Outcome.CREATED
    assert (await _ticket(hub, late.ticket_id)).linked_ticket_id == first.ticket_id
    assert (await _ticket(hub, first.ticket_id)).status is TicketStatus.CLOSED


async def test_a_mail_without_message_id_is_ingested_once(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    raw = b"From: old@client.example\r\nTo: support@hub.example\r\nSubject: no id\r\n\r\nhello\r\n"
    first = await email.ingest(box.id, raw)
    again = await email.ingest(box.id, raw.replace(b"\r\n", b"\n"))
    assert (first.outcome, again.outcome) == (Outcome.CREATED, Outcome.DUPLICATE)


# --- carbon copies to several of our mailboxes --------------------------------------------------


async def test_a_mail_copied_to_two_mailboxes_is_one_message(hub) -> None:
    support = await mailbox(hub, "support@hub.example")
    sales = await mailbox(hub, "sales@hub.example")
    email = await ingestor(hub)
    raw = mail(
        to="support@hub.example", headers={"Cc": "sales@hub.example"}, message_id="<cc@client.example>"
    )
    first = await email.ingest(support.id, raw)
    second = await email.ingest(sales.id, raw)
    assert (first.outcome, second.outcome) == (Outcome.CREATED, Outcome.DUPLICATE)
    assert second.ticket_id == first.ticket_id
    assert await factories.count(hub, Message) == 1 and await factories.count(hub, RawInbound) == 1


async def test_copies_arriving_together_at_two_mailboxes_are_one_message(runtime, hub) -> None:
    support = await mailbox(hub, "support@hub.example")
    sales = await mailbox(hub, "sales@hub.example")
    raw = mail(headers={"Cc": "sales@hub.example"}, message_id="<together@client.example>")
    # Two watchers (two processes in production), each with its own ingestor, sharing Redis.
    one, two = (
        await ingestor(hub, RedisClaims(runtime.redis)),
        await ingestor(hub, RedisClaims(runtime.redis)),
    )
    results = await asyncio.gather(*(e.ingest(c.id, raw) for e in (one, two) for c in (support, sales)))
    assert sorted(r.outcome.value for r in results) == ["created", "duplicate", "duplicate", "duplicate"]
    assert await factories.count(hub, Message) == 1


# --- automatic mail, our own mail, bounces ---------------------------------------------------------


async def test_an_auto_reply_is_kept_but_never_reopens(hub) -> None:
    box = await mailbox(hub, auto_ack=True)
    email = await ingestor(hub)
    agent = await factories.user(hub, Role.AGENT)
    first = await email.ingest(box.id, mail(message_id="<q@client.example>"))
    await tickets.set_status(hub, factories.actor(agent), first.ticket_id, TicketStatus.RESOLVED)
    oof = await email.ingest(
        box.id,
        mail(
            subject="自动回复: 我的订单",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<q@client.example>"},
        ),
    )
    assert oof.outcome is Outcome.THREADED and not oof.acknowledged
    assert (await _ticket(hub, first.ticket_id)).status is TicketStatus.RESOLVED
    stored = (await _messages(hub, first.ticket_id))[-1]
    assert stored.is_auto and stored.meta["auto"] == "auto-submitted: auto-replied"
    kinds = [e.kind for e in await factories.events(hub, first.ticket_id)]
    assert TicketEventKind.AUTO_MESSAGE in kinds and kinds.count(TicketEventKind.CUSTOMER_MESSAGE) == 1


async def test_a_new_auto_reply_opens_a_ticket_but_is_never_acknowledged(hub) -> None:
    box = await mailbox(hub, auto_ack=True)
    email = await ingestor(hub)
    result = await email.ingest(box.id, mail(subject="Out of Office: hello", headers={"Precedence": "bulk"}))
    assert result.outcome is Outcome.CREATED and not result.acknowledged


async def test_mail_from_our_own_addresses_is_ignored(hub) -> None:
    box = await mailbox(hub)
    await mailbox(hub, "sales@hub.example")
    email = await ingestor(hub)
    result = await email.ingest(box.id, mail(sender="Sales <sales@hub.example>", to="support@hub.example"))
    assert result.outcome is Outcome.IGNORED and "sent by us" in (result.reason or "")
    assert await factories.count(hub, Ticket) == 0


async def _sent_reply(hub, box, email) -> tuple[Message, str]:
    """A client's mail, our agent's reply, and the reply recorded as sent with our Message-ID."""
    first = await email.ingest(box.id, mail())
    agent = await factories.user(hub, Role.AGENT)
    reply = await tickets.reply(hub, factories.actor(agent), first.ticket_id, tickets.Draft(text="已发货"))
    ticket = await _ticket(hub, first.ticket_id)
    our_id = ids.ours(ticket.reply_token, reply.id.hex, "hub.example")
    async with hub.uow() as uow:
        await uow.session.execute(
            sa.update(Message)
            .where(Message.id == reply.id)
            .values(external_id=our_id, delivery_status=DeliveryStatus.SENT)
        )
        await uow.session.execute(
            sa.update(Outbox).where(Outbox.message_id == reply.id).values(status=OutboxStatus.SENT)
        )
        await uow.commit()
    return reply, our_id


def _dsn(our_id: str, recipient: str = "wang@client.example") -> bytes:
    return (
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.hub.example\r\nTo: support@hub.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.hub.example>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.hub.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {our_id}\r\n\r\n--b--\r\n"
    ).encode()


async def test_a_bounce_marks_our_message_failed_and_opens_no_ticket(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    reply, our_id = await _sent_reply(hub, box, email)
    result = await email.ingest(box.id, _dsn(our_id))
    again = await email.ingest(box.id, _dsn(our_id))
    assert result.outcome is Outcome.IGNORED and again.outcome is Outcome.IGNORED
    assert await factories.count(hub, Ticket) == 1
    failed = await factories.get(hub, Message, reply.id)
    assert failed.delivery_status is DeliveryStatus.FAILED
    assert failed.delivery_error == "550 5.1.1 User unknown"
    assert failed.meta["delivery_report"]["recipients"] == ["wang@client.example"]
    async with hub.uow() as uow:
        outbox = await uow.session.scalar(sa.select(Outbox).where(Outbox.message_id == reply.id))
    assert outbox is not None and outbox.status is OutboxStatus.FAILED
    kinds = [e.kind for e in await factories.events(hub, reply.ticket_id)]
    assert kinds.count(TicketEventKind.DELIVERY_FAILED) == 1


async def test_a_bounce_of_a_mail_we_do_not_know_is_ignored(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    result = await email.ingest(box.id, _dsn("<hub.0123456789abcdef01234567.ffff@hub.example>"))
    assert result.outcome is Outcome.IGNORED and "do not know" in (result.reason or "")
    assert await factories.count(hub, Ticket) == 0


async def test_no_bounce_shape_opens_a_ticket_and_no_look_alike_is_hidden(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    reply, our_id = await _sent_reply(hub, box, email)
    assert our_id != OUR_ID  # the corpus names a mail this hub did not send: ignored, not threaded
    for sample in SAMPLES:
        result = await email.ingest(box.id, sample.raw)
        assert result.outcome is Outcome.IGNORED and result.ticket_id is None, sample.name
    assert await factories.count(hub, Ticket) == 1
    for name, raw in LOOKALIKES.items():
        result = await email.ingest(box.id, raw)
        assert result.outcome is Outcome.CREATED, name
    assert await factories.count(hub, Ticket) == 1 + len(LOOKALIKES)
    assert (await factories.get(hub, Message, reply.id)).delivery_status is DeliveryStatus.SENT


async def test_a_free_text_bounce_marks_our_message_failed(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    reply, our_id = await _sent_reply(hub, box, email)
    lotus = next(s for s in SAMPLES if s.name == "lotus_notes_r5")
    result = await email.ingest(box.id, lotus.raw.replace(OUR_ID.encode(), our_id.encode()))
    assert result.outcome is Outcome.IGNORED and "marked failed" in (result.reason or "")
    failed = await factories.get(hub, Message, reply.id)
    assert failed.delivery_status is DeliveryStatus.FAILED
    assert failed.meta["delivery_report"]["recipients"] == [lotus.recipient]


async def test_an_unreadable_mail_is_stored_raw_and_reported(hub) -> None:
    box = await mailbox(hub)
    email = await ingestor(hub)
    result = await email.ingest(box.id, b"Subject: nobody sent this\r\n\r\nbody\r\n")
    again = await email.ingest(box.id, b"Subject: nobody sent this\r\n\r\nbody\r\n")
    assert result.outcome is Outcome.REJECTED and "no sender" in (result.reason or "")
    assert again.outcome is Outcome.REJECTED
    async with hub.uow() as uow:
        (raw,) = list(await uow.session.scalars(sa.select(RawInbound)))
    assert raw.payload.startswith(b"Subject: nobody") and raw.error and "no sender" in raw.error


# --- acknowledgements --------------------------------------------------------------------------------


async def _acks(hub) -> list[Message]:
    async with hub.uow() as uow:
        return list(
            await uow.session.scalars(
                sa.select(Message)
                .where(Message.direction == Direction.OUTBOUND, Message.is_auto)
                .order_by(Message.created_at)
            )
        )


async def test_acknowledgements_at_most_one_per_sender_per_hour(clocked_hub, clock) -> None:
    hub = clocked_hub
    box = await mailbox(
        hub, auto_ack=True, ack_subject="已收到 [#{number}] {subject}", ack_text="工单 #{number}"
    )
    email = await ingestor(hub)
    first = await email.ingest(box.id, mail(subject="一"))
    second = await email.ingest(box.id, mail(subject="二"))
    clock.advance(minutes=61)
    third = await email.ingest(box.id, mail(subject="三"))
    assert [first.acknowledged, second.acknowledged, third.acknowledged] == [True, False, True]
    acks = await _acks(hub)
    number = (await _ticket(hub, first.ticket_id)).number
    assert acks[0].text == f"工单 #{number}" and acks[0].meta["subject"] == f"已收到 [#{number}] 一"
    assert acks[0].delivery_status is DeliveryStatus.QUEUED
    kinds = [e.kind for e in await factories.events(hub, first.ticket_id)]
    assert TicketEventKind.HUMAN_RESPONSE not in kinds


async def test_no_acknowledgement_unless_the_mailbox_asks_or_when_the_sender_asks_not(hub) -> None:
    quiet = await mailbox(hub)
    email = await ingestor(hub)
    assert not (await email.ingest(quiet.id, mail())).acknowledged
    loud = await mailbox(hub, "help@hub.example", auto_ack=True)
    email = await ingestor(hub)
    suppressed = await email.ingest(
        loud.id, mail(sender="x@client.example", headers={"X-Auto-Response-Suppress": "All"})
    )
    assert suppressed.outcome is Outcome.CREATED and not suppressed.acknowledged
