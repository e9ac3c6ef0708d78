"""What the next channels bring to the funnel: an agent's outbound call (phone) is the team's
response, a visitor's client message id (web chat) makes retries idempotent, and a survey answer
(CSAT) joins its ticket without opening or reopening one."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
import sqlalchemy as sa

from hub.domain import ChannelKind, DeliveryStatus, Direction, TicketEventKind, TicketStatus
from hub.errors import IngestFailed, InvalidInput
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.models import Message, RawInbound, Ticket
from hub.ports import RealtimeEvent
from hub.sla.targets import ClockStatus as S
from hub.tickets import tickets
from tests import factories
from tests.integration.sla_setup import clocks, desk, local, sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

K = TicketEventKind


class Recorder:
    def __init__(self) -> None:
        self.events: list[RealtimeEvent] = []

    async def publish(self, events: list[RealtimeEvent]) -> None:
        self.events.extend(events)


@pytest.fixture
def hub(clocked_hub, clock):
    clock.at = sh("2026-03-04T10:00")  # a Wednesday
    return clocked_hub


def _message(
    channel_id: uuid.UUID, external_id: str, sender: str = "+8613800000001", **fields
) -> InboundMessage:
    fields.setdefault("text", "电话记录")
    return InboundMessage(channel_id=channel_id, external_id=external_id, sender=Sender(sender), **fields)


async def _kinds(hub, ticket_id: uuid.UUID) -> list[K]:
    return [e.kind for e in await factories.events(hub, ticket_id)]


# --- phone: an agent's outbound call --------------------------------------------------------------


async def test_an_agents_outbound_call_is_their_message_and_the_first_response(hub, clock) -> None:
    d = await desk(hub)
    phone = d.channels[ChannelKind.PHONE]
    called_in = await ingest.ingest(hub, _message(phone.id, "call-1", text="客户来电：发票问题"))
    assert (await clocks(hub, called_in.ticket_id)).first_response_state is S.ACTIVE
    clock.advance(minutes=1)
    callback = await ingest.ingest(
        hub,
        _message(
            phone.id, "call-2", text="回电说明发票已寄出", direction="outbound", author_user_id=d.lead.id
        ),
    )
    assert callback.ticket_id == called_in.ticket_id and not callback.created_ticket
    stored = await factories.get(hub, Message, callback.message_id)
    assert (stored.direction, stored.author_user_id, stored.author_contact_id) == (
        Direction.OUTBOUND,
        d.lead.id,
        None,
    )
    assert stored.delivery_status is DeliveryStatus.SENT, "the call happened: nothing to deliver"
    events = await factories.events(hub, called_in.ticket_id)
    response = [e for e in events if e.kind is K.HUMAN_RESPONSE]
    assert len(response) == 1 and response[0].actor_user_id == d.lead.id
    row = await clocks(hub, called_in.ticket_id)
    assert row.first_response_state is S.MET and local(row.first_response_at) == "2026-03-04T10:01:00"
    ticket = await factories.get(hub, Ticket, called_in.ticket_id)
    assert ticket.status is TicketStatus.OPEN and ticket.assignee_id == d.agent.id, "routed before: kept"


async def test_an_outbound_call_to_a_new_number_opens_a_ticket_taken_by_the_caller(hub) -> None:
    d = await desk(hub)
    phone = d.channels[ChannelKind.PHONE]
    result = await ingest.ingest(
        hub,
        _message(
            phone.id, "call-out", sender="+8613900000002", direction="outbound", author_user_id=d.lead.id
        ),
    )
    assert result.created_ticket
    ticket = await factories.get(hub, Ticket, result.ticket_id)
    assert ticket.status is TicketStatus.OPEN and ticket.assignee_id == d.lead.id, "not routed: the caller's"
    kinds = await _kinds(hub, result.ticket_id)
    assert K.HUMAN_RESPONSE in kinds and K.CUSTOMER_MESSAGE not in kinds
    assert (await clocks(hub, result.ticket_id)).first_response_state in (S.MET, None)


async def test_an_outbound_call_never_reopens_a_resolved_ticket(hub) -> None:
    d = await desk(hub)
    phone = d.channels[ChannelKind.PHONE]
    first = await ingest.ingest(hub, _message(phone.id, "in-1"))
    await tickets.set_status(hub, factories.actor(d.lead), first.ticket_id, TicketStatus.RESOLVED)
    follow_up = await ingest.ingest(
        hub,
        _message(phone.id, "out-1", direction="outbound", author_user_id=d.agent.id, thread_by_recency=False),
    )
    assert follow_up.created_ticket, "no recency threading asked: a new conversation"
    ticket = await factories.get(hub, Ticket, first.ticket_id)
    assert ticket.status is TicketStatus.RESOLVED and ticket.reopen_count == 0


async def test_direction_and_author_go_together(hub) -> None:
    d = await desk(hub)
    phone = d.channels[ChannelKind.PHONE]
    with pytest.raises(InvalidInput, match="author_user_id"):
        await ingest.ingest(hub, _message(phone.id, "no-author", direction="outbound"))
    with pytest.raises(InvalidInput, match="author_user_id"):
        await ingest.ingest(hub, _message(phone.id, "inbound-author", author_user_id=d.agent.id))
    assert await factories.count(hub, RawInbound) == 0


# --- web chat: the visitor's client message id ----------------------------------------------------


async def test_a_retry_with_the_same_client_id_is_the_same_message(hub) -> None:
    d = await desk(hub)
    chat = d.channels[ChannelKind.WEBCHAT]
    recorder = Recorder()
    hub = dataclasses.replace(hub, publisher=recorder)

    def visitor(who: str, client_id: str, text: str = "你好") -> InboundMessage:
        return _message(chat.id, "", sender=who, text=text, client_message_id=client_id)

    first = await ingest.ingest(hub, visitor("visitor-a", "c-1"))
    again = await ingest.ingest(hub, visitor("visitor-a", "c-1", text="你好 (retry)"))
    assert again.duplicate and (again.ticket_id, again.message_id) == (first.ticket_id, first.message_id)
    other = await ingest.ingest(hub, visitor("visitor-b", "c-1"))
    assert not other.duplicate, "another visitor's browser numbers its messages alike"
    batch = await ingest.ingest_many(
        hub,
        [
            (visitor("visitor-c", "c-7"), None),
            (visitor("visitor-c", "c-7"), None),
            (visitor("visitor-a", "c-1"), None),
        ],
    )
    assert all(isinstance(r, IngestResult) for r in batch)
    assert [r.duplicate for r in batch] == [False, True, True]  # type: ignore[union-attr]
    assert batch[0].message_id == batch[1].message_id  # type: ignore[union-attr]
    assert await factories.count(hub, Message) == 3
    echoed = [e.data.get("client_message_id") for e in recorder.events if e.name.endswith("created")]
    assert echoed == ["c-1", "c-1", "c-7"], "the widget matches its pending bubble by it"


# --- CSAT: a survey answer ------------------------------------------------------------------------


async def test_a_survey_answer_joins_its_ticket_and_never_reopens_it(hub, clock) -> None:
    d = await desk(hub)
    chat = d.channels[ChannelKind.WEBCHAT]
    surveyed = await ingest.ingest(hub, _message(chat.id, "m-1", sender="visitor"))
    await tickets.set_status(hub, factories.actor(d.lead), surveyed.ticket_id, TicketStatus.CLOSED)
    clock.advance(days=hub.settings.reopen_window_days + 3)  # long past the reopen window
    newer = await ingest.ingest(hub, _message(chat.id, "m-2", sender="visitor", text="另一个问题"))
    assert newer.created_ticket
    answer = await ingest.ingest(
        hub, _message(chat.id, "csat-1", sender="visitor", text="5", survey_ticket_id=surveyed.ticket_id)
    )
    assert answer.ticket_id == surveyed.ticket_id and not answer.created_ticket
    ticket = await factories.get(hub, Ticket, surveyed.ticket_id)
    assert ticket.status is TicketStatus.CLOSED and ticket.reopen_count == 0
    kinds = await _kinds(hub, surveyed.ticket_id)
    assert kinds.count(K.CUSTOMER_MESSAGE) == 1 and kinds[-1] is K.AUTO_MESSAGE
    assert await factories.count(hub, Ticket) == 2


async def test_a_survey_answer_for_an_unknown_ticket_fails_and_opens_nothing(hub) -> None:
    d = await desk(hub)
    chat = d.channels[ChannelKind.WEBCHAT]
    with pytest.raises(IngestFailed):
        await ingest.ingest(hub, _message(chat.id, "csat-x", text="5", survey_ticket_id=uuid.uuid4()))
    assert await factories.count(hub, Ticket) == 0
    async with hub.uow() as uow:
        status = await uow.session.scalar(sa.select(RawInbound.status))
    assert status == "failed"
