"""The channel-neutral pieces the e-mail channel added to the hub, tested without e-mail."""

from __future__ import annotations

import pytest

from hub.delivery.reports import failed_after_sending
from hub.domain import ChannelKind, DeliveryStatus, RawStatus
from hub.errors import InvalidInput
from hub.intake import ingest
from hub.intake.ingest import channel_holding, failed_inbound, keep_unreadable
from hub.models import Message, RawInbound, Ticket
from hub.tickets.automatic_replies import send_automatic_reply
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_a_quoted_ticket_number_threads_only_for_a_participant(hub) -> None:
    chan = await factories.channel(hub, ChannelKind.API)
    first = await factories.inbound(hub, chan.id, sender="a@x.example")
    number = (await factories.get(hub, Ticket, first.ticket_id)).number
    same = await factories.inbound(
        hub, chan.id, sender="a@x.example", ticket_number_hint=number, thread_ref="t2"
    )
    other = await factories.inbound(hub, chan.id, sender="b@x.example", ticket_number_hint=number)
    assert same.ticket_id == first.ticket_id
    assert (
        other.created_ticket
        and (await factories.get(hub, Ticket, other.ticket_id)).linked_ticket_id == first.ticket_id
    )
    # b wrote into the linked ticket, not into the first: still a stranger there
    again = await factories.inbound(hub, chan.id, sender="b@x.example", ticket_number_hint=number)
    assert again.ticket_id not in (first.ticket_id,)


async def test_a_channel_can_turn_recency_threading_off(hub) -> None:
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    first = await factories.inbound(hub, chan.id)
    joined = await factories.inbound(hub, chan.id)
    separate = await factories.inbound(hub, chan.id, thread_by_recency=False)
    assert joined.ticket_id == first.ticket_id and separate.ticket_id != first.ticket_id


async def test_a_failure_reported_after_sending_is_recorded_once(hub) -> None:
    assert await failed_after_sending(hub, ["<nothing@x>"], "550 no") is None
    assert await failed_after_sending(hub, [], "550 no") is None
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    first = await factories.inbound(hub, chan.id)
    sent = await send_automatic_reply(hub, first.ticket_id, text="收到")
    assert sent is not None
    async with hub.uow() as uow:
        row = await uow.session.get(Message, sent.id)
        row.external_id, row.delivery_status = "<sent@x>", DeliveryStatus.SENT
        await uow.commit()
    assert await failed_after_sending(hub, ["<other@x>", "<sent@x>"], "550 5.1.1 gone") == sent.id
    assert await failed_after_sending(hub, ["<sent@x>"], "550 5.1.1 gone") == sent.id
    failed = await factories.get(hub, Message, sent.id)
    assert (failed.delivery_status, failed.delivery_error) == (DeliveryStatus.FAILED, "550 5.1.1 gone")
    kinds = [e.kind.value for e in await factories.events(hub, first.ticket_id)]
    assert kinds.count("delivery_failed") == 1


async def test_automatic_replies_fill_their_templates_and_tolerate_stray_braces(hub) -> None:
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    first = await factories.inbound(hub, chan.id, subject="订单")
    sent = await send_automatic_reply(
        hub, first.ticket_id, text="#{number} {unknown} {", subject="{subject} [#{number}]"
    )
    assert sent is not None
    number = (await factories.get(hub, Ticket, first.ticket_id)).number
    assert sent.text == "#{number} {unknown} {"  # a stray brace: sent as written
    assert sent.meta["subject"] == f"订单 [#{number}]"
    assert await send_automatic_reply(hub, first.ticket_id, text="again") is None


async def test_an_unreadable_payload_is_kept_once_and_never_retried_into_a_crash(hub) -> None:
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    kept = dict(external_id="<bad@x>", payload=b"\x00junk", reason="no mail headers")
    first = await keep_unreadable(hub, chan.id, **kept)
    again = await keep_unreadable(hub, chan.id, **kept)
    assert first.new and not again.new and again.raw_id == first.raw_id
    assert await failed_inbound(hub) == [], "nothing to retry: the channel could not read it"
    (row,) = await failed_inbound(hub, status=RawStatus.REJECTED)
    assert (row.status, row.error, row.payload) == (RawStatus.REJECTED, "no mail headers", b"\x00junk")
    assert row.attempts == 2, "one count: how many times the payload arrived"
    with pytest.raises(InvalidInput, match="rejected"):
        await ingest.process_raw(hub, row.id)
    assert await channel_holding(hub, "<bad@x>", [chan.id]) == chan.id
    assert await channel_holding(hub, "<bad@x>", []) is None
    assert await factories.count(hub, RawInbound) == 1
