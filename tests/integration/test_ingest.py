"""The one funnel (ingest.ingest): idempotency, raw-first storage, contacts, threading and wake-ups."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.domain import ChannelKind, RawStatus, Role, TicketEventKind, TicketStatus
from hub.errors import IngestFailed
from hub.intake import ingest
from hub.intake.inbound import InboundAttachment, InboundMessage, IngestResult, Sender
from hub.models import (
    Attachment,
    Channel,
    Contact,
    ContactIdentity,
    Message,
    RawInbound,
    Ticket,
    TicketEvent,
    User,
)
from hub.tickets import tickets
from tests import factories
from tests.broken_messages import break_messages, repair_messages
from tests.conftest import ManualClock

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

K = TicketEventKind


def _message(
    channel_id: uuid.UUID, external_id: str, text: str = "我的订单还没有发货", **fields
) -> InboundMessage:
    sender = fields.pop("sender", "client@example.com")
    return InboundMessage(
        channel_id=channel_id, external_id=external_id, sender=Sender(identity=sender), text=text, **fields
    )


async def _kinds(hub: Hub, ticket_id: uuid.UUID) -> list[K]:
    return [e.kind for e in await factories.events(hub, ticket_id)]


async def _contact_of(hub: Hub, ticket_id: uuid.UUID) -> uuid.UUID:
    return (await factories.get(hub, Ticket, ticket_id)).contact_id


@pytest.fixture
async def email(hub: Hub):
    return await factories.channel(hub, ChannelKind.EMAIL)


@pytest.fixture
async def agent(hub: Hub):
    return await factories.user(hub, Role.AGENT)


# --- idempotency -------------------------------------------------------------------------------


async def test_a_replay_returns_the_first_result_marked_duplicate(hub, email) -> None:
    first = await ingest.ingest(hub, _message(email.id, "<m1@client>"))
    again = await ingest.ingest(hub, _message(email.id, "<m1@client>", text="a retry may even differ"))
    assert not first.duplicate and first.created_ticket
    assert again.duplicate
    assert (again.ticket_id, again.message_id) == (first.ticket_id, first.message_id)
    assert await factories.count(hub, Message) == 1
    assert await factories.count(hub, RawInbound) == 1
    assert await factories.count(hub, Ticket) == 1
    assert (await factories.get(hub, Message, first.message_id)).text == "我的订单还没有发货"
    assert (await _kinds(hub, first.ticket_id)).count(K.CUSTOMER_MESSAGE) == 1


async def test_the_same_external_id_on_another_channel_is_another_message(hub, email) -> None:
    other = await factories.channel(hub, ChannelKind.EMAIL)
    first = await ingest.ingest(hub, _message(email.id, "<same@id>"))
    second = await ingest.ingest(hub, _message(other.id, "<same@id>"))
    assert not second.duplicate
    assert second.message_id != first.message_id
    assert await factories.count(hub, Message) == 2


async def test_twenty_concurrent_deliveries_store_one_message(hub, email) -> None:
    message = _message(email.id, "wx-msg-20")
    results = await asyncio.gather(*(ingest.ingest(hub, message) for _ in range(20)))
    assert len({(r.ticket_id, r.message_id) for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    assert await factories.count(hub, Message) == 1
    assert await factories.count(hub, RawInbound) == 1
    assert await factories.count(hub, Ticket) == 1
    assert (await _kinds(hub, results[0].ticket_id)).count(K.CUSTOMER_MESSAGE) == 1


# --- raw first, failures visible and retried -------------------------------------------------


@pytest.fixture
async def broken_message_table(runtime) -> AsyncIterator[None]:
    """A real database failure while processing (a trigger refusing new messages), until removed."""
    await break_messages(runtime)
    try:
        yield
    finally:
        await repair_messages(runtime)


async def _raw(hub: Hub, channel_id: uuid.UUID, external_id: str) -> RawInbound:
    async with hub.uow() as uow:
        row = await uow.session.scalar(
            sa.select(RawInbound).where(
                RawInbound.channel_id == channel_id, RawInbound.external_id == external_id
            )
        )
        assert row is not None
        return row


async def test_a_failed_processing_keeps_the_raw_row_and_is_retried_once_fixed(
    runtime, hub, email, broken_message_table
) -> None:
    with pytest.raises(IngestFailed) as failure:
        await ingest.ingest(
            hub, _message(email.id, "<fails@client>"), payload=b"From: client@example.com\r\n\r\nhi"
        )
    raw = await _raw(hub, email.id, "<fails@client>")
    assert failure.value.params["raw_id"] == str(raw.id)
    assert raw.status is RawStatus.FAILED
    assert raw.attempts == 1
    assert raw.error and "messages table is broken" in raw.error
    assert raw.payload == b"From: client@example.com\r\n\r\nhi"
    # Nothing half-done: processing rolled back as a whole.
    assert await factories.count(hub, Ticket) == 0
    assert await factories.count(hub, Contact) == 0

    await repair_messages(runtime)
    result = await ingest.process_raw(hub, raw.id)
    assert not result.duplicate and result.created_ticket
    raw = await _raw(hub, email.id, "<fails@client>")
    assert raw.status is RawStatus.PROCESSED
    assert raw.attempts == 2
    assert raw.error is None
    assert (raw.ticket_id, raw.message_id) == (result.ticket_id, result.message_id)
    assert (await factories.get(hub, Message, result.message_id)).text == "我的订单还没有发货"
    # Retrying again, or the channel re-delivering, changes nothing.
    assert (await ingest.process_raw(hub, raw.id)).duplicate
    assert (await ingest.ingest(hub, _message(email.id, "<fails@client>"))).duplicate
    assert await factories.count(hub, Message) == 1


async def test_a_channel_redelivering_a_failed_message_processes_it(
    runtime, hub, email, broken_message_table
) -> None:
    with pytest.raises(IngestFailed):
        await ingest.ingest(hub, _message(email.id, "<redelivered@client>"))
    await repair_messages(runtime)
    result = await ingest.ingest(hub, _message(email.id, "<redelivered@client>"))
    assert not result.duplicate
    assert (await _raw(hub, email.id, "<redelivered@client>")).status is RawStatus.PROCESSED
    assert await factories.count(hub, RawInbound) == 1


async def test_attachments_are_stored_with_their_message(hub, email) -> None:
    files = (
        InboundAttachment("发票.pdf", "application/pdf", data=b"%PDF-1.7 invoice"),
        InboundAttachment("photo.jpg", "image/jpeg", data=b"\xff\xd8 jpeg", content_id="img1"),
    )
    result = await ingest.ingest(hub, _message(email.id, "<with-files@client>", attachments=files))
    async with hub.uow() as uow:
        rows = list(
            await uow.session.scalars(
                sa.select(Attachment)
                .where(Attachment.message_id == result.message_id)
                .order_by(Attachment.filename)
            )
        )
    assert [(r.filename, r.content_type, r.size, r.content_id) for r in rows] == [
        ("photo.jpg", "image/jpeg", 7, "img1"),
        ("发票.pdf", "application/pdf", 16, None),
    ]
    assert hub.storage.get(rows[1].sha256) == b"%PDF-1.7 invoice"
    # The raw row keeps only the content addresses, never the bytes.
    raw = await _raw(hub, email.id, "<with-files@client>")
    assert all(a["data"] is None and a["sha256"] for a in raw.message["attachments"])


# --- contacts ----------------------------------------------------------------------------------


async def test_the_same_identity_is_the_same_contact_across_channels(hub, email) -> None:
    other_mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    first = await factories.inbound(hub, email.id, sender="wang@client.cn")
    second = await factories.inbound(hub, other_mailbox.id, sender="wang@client.cn")
    assert second.ticket_id != first.ticket_id
    assert await _contact_of(hub, second.ticket_id) == await _contact_of(hub, first.ticket_id)
    assert await factories.count(hub, Contact) == 1


async def test_email_addresses_are_case_insensitive(hub, email) -> None:
    first = await factories.inbound(hub, email.id, sender="Li.Wei@Example.COM")
    second = await factories.inbound(hub, email.id, sender="  li.wei@example.com ")
    assert await _contact_of(hub, second.ticket_id) == await _contact_of(hub, first.ticket_id)
    async with hub.uow() as uow:
        values = list(await uow.session.scalars(sa.select(ContactIdentity.value)))
    assert values == ["li.wei@example.com"]


async def test_phone_numbers_are_one_contact_however_they_are_written(hub) -> None:
    phone = await factories.channel(hub, ChannelKind.PHONE)
    spellings = ["138 0013 8000", "+8613800138000", "+86 138-0013-8000", "13800138000"]
    contacts = set()
    for spelling in spellings:
        result = await factories.inbound(hub, phone.id, sender=spelling, text="来电")
        contacts.add(await _contact_of(hub, result.ticket_id))
    assert len(contacts) == 1
    async with hub.uow() as uow:
        values = list(await uow.session.scalars(sa.select(ContactIdentity.value)))
    assert values == ["+8613800138000"]


async def test_a_new_contact_joins_the_organization_owning_their_mail_domain(hub, email) -> None:
    acme = await factories.organization(hub, domains=["acme.cn", "acme.com"])
    known = await factories.inbound(hub, email.id, sender="Zhang.San@ACME.com")
    unknown = await factories.inbound(hub, email.id, sender="someone@elsewhere.cn")
    contact = await factories.get(hub, Contact, await _contact_of(hub, known.ticket_id))
    assert contact.organization_id == acme.id
    assert (await factories.get(hub, Ticket, known.ticket_id)).organization_id == acme.id
    stranger = await factories.get(hub, Contact, await _contact_of(hub, unknown.ticket_id))
    assert stranger.organization_id is None


# --- threading ---------------------------------------------------------------------------------


async def test_the_reply_token_threads_even_from_another_sender_long_after(
    clocked_hub, clock: ManualClock, email
) -> None:
    hub = clocked_hub
    first = await factories.inbound(hub, email.id, sender="a@client.cn")
    ticket = await factories.get(hub, Ticket, first.ticket_id)
    clock.advance(days=3)
    reply = await factories.inbound(
        hub, email.id, sender="colleague@client.cn", reply_token=ticket.reply_token
    )
    assert reply.ticket_id == first.ticket_id and not reply.created_ticket


async def test_thread_refs_are_scoped_to_their_channel(clocked_hub, clock: ManualClock) -> None:
    hub = clocked_hub
    widget = await factories.channel(hub, ChannelKind.WEBCHAT)
    other_widget = await factories.channel(hub, ChannelKind.WEBCHAT)
    first = await factories.inbound(hub, widget.id, sender="visitor-1", thread_ref="conv-1")
    clock.advance(days=3)
    same = await factories.inbound(hub, widget.id, sender="visitor-2", thread_ref="conv-1")
    elsewhere = await factories.inbound(hub, other_widget.id, sender="visitor-1", thread_ref="conv-1")
    assert same.ticket_id == first.ticket_id
    assert elsewhere.created_ticket and elsewhere.ticket_id != first.ticket_id


async def test_references_to_earlier_messages_thread_the_reply(
    clocked_hub, clock: ManualClock, email
) -> None:
    hub = clocked_hub
    first = await factories.inbound(hub, email.id, external_id="<orig@client>")
    clock.advance(days=3)  # beyond the thread window: only the reference can join them
    reply = await factories.inbound(
        hub, email.id, external_id="<re1@client>", references=("<unknown@elsewhere>", "<orig@client>")
    )
    assert reply.ticket_id == first.ticket_id


async def test_a_recent_open_conversation_of_the_contact_on_the_channel_continues(
    clocked_hub, clock: ManualClock, email
) -> None:
    hub = clocked_hub
    window = hub.settings.thread_window_hours
    first = await factories.inbound(hub, email.id, sender="li@client.cn")
    clock.advance(hours=window - 1)
    follow_up = await factories.inbound(hub, email.id, sender="li@client.cn")
    assert follow_up.ticket_id == first.ticket_id
    # The window counts from the last message, so a lively conversation stays one ticket.
    clock.advance(hours=window - 1)
    assert (await factories.inbound(hub, email.id, sender="li@client.cn")).ticket_id == first.ticket_id
    clock.advance(hours=window + 1)
    later = await factories.inbound(hub, email.id, sender="li@client.cn")
    assert later.created_ticket and later.ticket_id != first.ticket_id


async def test_the_recent_conversation_rule_needs_the_same_contact_and_channel(hub, email) -> None:
    other_mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    first = await factories.inbound(hub, email.id, sender="li@client.cn")
    other_contact = await factories.inbound(hub, email.id, sender="wang@client.cn")
    other_channel = await factories.inbound(hub, other_mailbox.id, sender="li@client.cn")
    assert len({first.ticket_id, other_contact.ticket_id, other_channel.ticket_id}) == 3


async def test_an_unknown_thread_ref_starts_a_new_ticket_even_with_a_recent_one(hub) -> None:
    widget = await factories.channel(hub, ChannelKind.WEBCHAT)
    first = await factories.inbound(hub, widget.id, sender="visitor-1", thread_ref="conv-1")
    second = await factories.inbound(hub, widget.id, sender="visitor-1", thread_ref="conv-2")
    assert second.created_ticket and second.ticket_id != first.ticket_id
    assert (await factories.inbound(hub, widget.id, sender="visitor-1", thread_ref="conv-2")).ticket_id == (
        second.ticket_id
    )


async def test_threading_rules_apply_in_order(hub, email) -> None:
    """reply token > thread ref > references > recent conversation."""
    by_token = await factories.inbound(hub, email.id, sender="a@client.cn", external_id="<t1@c>")
    by_ref = await factories.inbound(hub, email.id, sender="b@client.cn", thread_ref="ref-b")
    by_refs = await factories.inbound(hub, email.id, sender="c@client.cn", external_id="<t3@c>")
    recent = await factories.inbound(hub, email.id, sender="d@client.cn")
    token = (await factories.get(hub, Ticket, by_token.ticket_id)).reply_token

    no_token = await factories.inbound(
        hub, email.id, sender="d@client.cn", thread_ref="ref-b", references=("<t3@c>",)
    )
    assert no_token.ticket_id == by_ref.ticket_id
    only_refs = await factories.inbound(hub, email.id, sender="d@client.cn", references=("<t3@c>",))
    assert only_refs.ticket_id == by_refs.ticket_id
    nothing = await factories.inbound(hub, email.id, sender="d@client.cn")
    assert nothing.ticket_id == recent.ticket_id
    everything = await factories.inbound(
        hub, email.id, sender="d@client.cn", reply_token=token, thread_ref="ref-b", references=("<t3@c>",)
    )
    assert everything.ticket_id == by_token.ticket_id


# --- waking tickets up -------------------------------------------------------------------------


async def test_a_client_message_reopens_a_resolved_ticket(hub, email, agent) -> None:
    first = await factories.inbound(hub, email.id)
    await tickets.set_status(hub, factories.actor(agent), first.ticket_id, TicketStatus.RESOLVED)
    token = (await factories.get(hub, Ticket, first.ticket_id)).reply_token
    again = await factories.inbound(hub, email.id, text="还是没收到", reply_token=token)
    assert again.ticket_id == first.ticket_id
    ticket = await factories.get(hub, Ticket, first.ticket_id)
    assert ticket.status is TicketStatus.OPEN
    assert ticket.reopen_count == 1
    assert ticket.resolved_at is None
    events = await factories.events(hub, ticket.id)
    reopened = [e for e in events if e.kind is K.REOPENED]
    assert len(reopened) == 1 and reopened[0].data["by"] == "customer"
    status_changes = [e.data for e in events if e.kind is K.STATUS_CHANGED]
    assert status_changes[-1] == {"previous": "resolved", "status": "open", "by": "customer"}
    assert [e.kind for e in events][-2:] == [K.REOPENED, K.CUSTOMER_MESSAGE]
    assert "ticket.reopened" in [a.action for a in await factories.audit_trail(hub, ticket.id)]


async def test_a_client_message_ends_a_pending_wait(hub, email, agent) -> None:
    first = await factories.inbound(hub, email.id)
    await tickets.set_status(hub, factories.actor(agent), first.ticket_id, TicketStatus.PENDING)
    await factories.inbound(hub, email.id, text="补充信息：订单号 123")
    ticket = await factories.get(hub, Ticket, first.ticket_id)
    assert ticket.status is TicketStatus.OPEN
    assert ticket.reopen_count == 0
    kinds = await _kinds(hub, ticket.id)
    assert kinds.count(K.PENDING_ON) == 1 and kinds.count(K.PENDING_OFF) == 1
    assert kinds.index(K.PENDING_OFF) > kinds.index(K.PENDING_ON)
    assert K.REOPENED not in kinds


@pytest.mark.parametrize("status", [TicketStatus.RESOLVED, TicketStatus.PENDING])
async def test_an_auto_message_is_kept_but_wakes_nothing(hub, email, agent, status: TicketStatus) -> None:
    first = await factories.inbound(hub, email.id)
    await tickets.set_status(hub, factories.actor(agent), first.ticket_id, status)
    token = (await factories.get(hub, Ticket, first.ticket_id)).reply_token
    kinds_before = await _kinds(hub, first.ticket_id)
    auto = await factories.inbound(
        hub, email.id, text="Out of office / 自动回复", reply_token=token, is_auto=True
    )
    assert auto.ticket_id == first.ticket_id
    ticket = await factories.get(hub, Ticket, first.ticket_id)
    assert ticket.status is status
    assert ticket.reopen_count == 0
    assert (await factories.get(hub, Message, auto.message_id)).is_auto
    new_kinds = (await _kinds(hub, first.ticket_id))[len(kinds_before) :]
    assert new_kinds == [K.AUTO_MESSAGE]


async def test_a_reply_within_the_reopen_window_reopens_a_closed_ticket(
    clocked_hub, clock: ManualClock, email, agent
) -> None:
    hub = clocked_hub
    first = await factories.inbound(hub, email.id)
    await tickets.set_status(hub, factories.actor(agent), first.ticket_id, TicketStatus.CLOSED)
    clock.advance(days=hub.settings.reopen_window_days - 1)
    token = (await factories.get(hub, Ticket, first.ticket_id)).reply_token
    reply = await factories.inbound(hub, email.id, reply_token=token)
    assert reply.ticket_id == first.ticket_id
    ticket = await factories.get(hub, Ticket, first.ticket_id)
    assert ticket.status is TicketStatus.OPEN and ticket.reopen_count == 1


async def _late_reply(
    hub: Hub, clock: ManualClock, email: Channel, agent: User
) -> tuple[IngestResult, str, IngestResult]:
    """A ticket the agent closed, a day past the reopen window; its reply token; and a reply to it now,
    by token and by the first mail's Message-ID."""
    first = await factories.inbound(hub, email.id, external_id="<old@client>")
    await tickets.set_status(hub, factories.actor(agent), first.ticket_id, TicketStatus.CLOSED)
    clock.advance(days=hub.settings.reopen_window_days + 1)
    token = (await factories.get(hub, Ticket, first.ticket_id)).reply_token
    late = await factories.inbound(hub, email.id, reply_token=token, references=("<old@client>",))
    return first, token, late


async def test_a_late_reply_to_a_closed_ticket_opens_a_linked_new_one(
    clocked_hub, clock: ManualClock, email, agent
) -> None:
    hub = clocked_hub
    first, _, late = await _late_reply(hub, clock, email, agent)
    assert late.created_ticket and late.ticket_id != first.ticket_id
    new = await factories.get(hub, Ticket, late.ticket_id)
    assert new.linked_ticket_id == first.ticket_id
    old = await factories.get(hub, Ticket, first.ticket_id)
    assert old.status is TicketStatus.CLOSED and old.reopen_count == 0
    created = (await factories.events(hub, new.id))[0]
    assert created.kind is K.CREATED and created.data["linked_ticket_id"] == str(first.ticket_id)
    audit = [a for a in await factories.audit_trail(hub, new.id) if a.action == "ticket.created"]
    assert audit and f"#{old.number}" in (audit[0].reason or "")


async def test_a_second_late_reply_joins_the_linked_ticket_instead_of_a_third(
    clocked_hub, clock: ManualClock, email, agent
) -> None:
    hub = clocked_hub
    _, token, late = await _late_reply(hub, clock, email, agent)
    clock.advance(days=2)  # beyond the thread window too: only the old thread's keys connect them
    later = await factories.inbound(hub, email.id, reply_token=token, references=("<old@client>",))
    assert later.ticket_id == late.ticket_id
    assert await factories.count(hub, Ticket) == 2


# --- every ticket's birth is recorded ---------------------------------------------------------


async def test_every_new_ticket_has_a_created_event_and_an_audit_row(hub, email) -> None:
    results = [
        await factories.inbound(hub, email.id, sender=f"c{i}@client.cn", text=text)
        for i, text in enumerate(["订单", "Where is my order?", "退款"])
    ]
    for result in results:
        events = await factories.events(hub, result.ticket_id)
        assert events[0].kind is K.CREATED
        assert [e.kind for e in events].count(K.CREATED) == 1
        assert events[0].data["channel_kind"] == "email"
        created = [
            a for a in await factories.audit_trail(hub, result.ticket_id) if a.action == "ticket.created"
        ]
        assert len(created) == 1
        assert created[0].actor_kind == "channel"
        assert created[0].after["contact_id"] == str(await _contact_of(hub, result.ticket_id))
    async with hub.uow() as uow:
        orphans = await uow.session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(~sa.exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == K.CREATED))
        )
    assert orphans == 0


async def test_nul_characters_do_not_stop_a_message_from_being_stored(hub, email) -> None:
    """PostgreSQL refuses NUL in text and jsonb; a broken mailer's message must still arrive."""
    raw_bytes = b"Subject: a\x00b\r\n\r\nhello\x00world"
    message = _message(
        email.id,
        "<nul\x00@client>",
        text="hello\x00world",
        subject="a\x00b",
        sender="nul@client.cn",
        references=("<x\x00@y>",),
        attachments=(InboundAttachment("r\x00.txt", data=b"\x00bytes stay\x00"),),
    )
    result = await ingest.ingest(hub, message, payload=raw_bytes)
    stored = await factories.get(hub, Message, result.message_id)
    assert stored.text == "helloworld"
    assert (await factories.get(hub, Ticket, result.ticket_id)).subject == "ab"
    assert (await _raw(hub, email.id, "<nul@client>")).payload == raw_bytes
    async with hub.uow() as uow:
        attachment = await uow.session.scalar(sa.select(Attachment).where(Attachment.message_id == stored.id))
    assert attachment is not None and attachment.filename == "r.txt"
    assert hub.storage.get(attachment.sha256) == b"\x00bytes stay\x00"
    assert (await ingest.ingest(hub, message)).duplicate
