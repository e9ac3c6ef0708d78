"""Calls on tickets, through the one engine with the real database: E.164 contacts, the direction
rules, a missed call owing a callback within the phone's 3 business minutes (met by a callback that
reaches the client, not by an attempt that does not, across a public holiday too), a log of
yesterday measured at yesterday's times, and calls between extensions kept off the tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from channels.phone import extensions, lines
from channels.phone.calls import CallProblem, to_message
from channels.phone.cdr import read_cdr_files
from channels.phone.importer import Sourced, Summary, import_calls
from channels.phone.records import CallRecord, Disposition
from hub.actors import CLI
from hub.core import Hub
from hub.domain import ChannelKind, RawStatus, Role, TicketEventKind, TicketStatus
from hub.intake import ingest
from hub.models import ContactIdentity, Message, RawInbound, Ticket, TicketSla, User
from hub.sla.targets import ClockStatus
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

BEIJING = ZoneInfo("Asia/Shanghai")
CLIENT = "13812345678"
CLIENT_E164 = "+8613812345678"


def at(day: date, hhmm: str) -> datetime:
    """A Beijing wall-clock time, in UTC."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


MONDAY = date(2026, 3, 2)
MASTER_CSV = (Path(__file__).resolve().parent.parent / "fixtures" / "phone" / "Master.csv").read_bytes()


def call(call_id: str, start: datetime, disposition: Disposition, **fields: object) -> CallRecord:
    answered = start + timedelta(seconds=20) if disposition is Disposition.answered else None
    values: dict[str, object] = {
        "call_id": call_id,
        "caller": CLIENT,
        "callee": "4008001234",
        "started_at": start,
        "answered_at": answered,
        "ended_at": start + timedelta(minutes=2),
        "disposition": disposition,
    }
    values.update(fields)
    return CallRecord(**values)  # type: ignore[arg-type]


class World:
    def __init__(self, hub: Hub, line: lines.Line, agent: User) -> None:
        self.hub, self.line, self.agent = hub, line, agent

    async def take(self, record: CallRecord) -> tuple[Ticket, Message]:
        message, internal = to_message(record, self.line)
        assert not internal
        result = await ingest.ingest(self.hub, message)
        assert result.ticket_id is not None and result.message_id is not None
        return (
            await factories.get(self.hub, Ticket, result.ticket_id),
            await factories.get(self.hub, Message, result.message_id),
        )

    async def clocks(self, ticket: Ticket) -> TicketSla:
        return await factories.get(self.hub, TicketSla, ticket.id)


@pytest.fixture
async def world(clocked_hub: Hub, clock) -> World:
    clock.at = at(MONDAY, "18:30")  # the calls of the day are imported after work
    team = await factories.team(clocked_hub)
    agent = await factories.user(clocked_hub, Role.AGENT, team_id=team.id, email="agent1@demo.test")
    channel = await factories.channel(clocked_hub, ChannelKind.PHONE, team_id=team.id, numbers=["4008001234"])
    await extensions.map_extension(clocked_hub, CLI, channel.id, "301", "agent1@demo.test")
    return World(clocked_hub, await lines.load(clocked_hub, channel.id), agent)


def callback(call_id: str, start: datetime, disposition: Disposition) -> CallRecord:
    return call(call_id, start, disposition, caller="301", callee=CLIENT)


async def test_a_missed_call_owes_a_callback_that_only_reaching_the_client_meets(world: World) -> None:
    missed = at(MONDAY, "10:00")
    ticket, message = await world.take(call("pbx-1", missed, Disposition.no_answer))
    assert message.type == "call" and message.sent_at == missed and message.created_at == missed
    meta = message.meta["call"]
    assert meta["direction"] == "inbound" and meta["callback"] and meta["caller"] == CLIENT_E164
    assert meta["callee"] == "+864008001234" and meta["wait_seconds"] == 120 and meta["talk_seconds"] == 0
    async with world.hub.uow() as uow:
        identity = await uow.session.scalar(sa.select(ContactIdentity.value))
    assert identity == CLIENT_E164
    clocks = await world.clocks(ticket)
    assert clocks.first_response_state is ClockStatus.BREACHED  # 18:30 now: nobody called back
    assert clocks.first_response_due_at == missed + timedelta(minutes=3)
    assert ticket.created_at == missed and ticket.status is TicketStatus.NEW

    attempt_ticket, attempt = await world.take(callback("pbx-2", at(MONDAY, "10:01"), Disposition.no_answer))
    assert attempt_ticket.id == ticket.id and attempt.direction.value == "outbound"
    assert attempt.author_user_id == world.agent.id and attempt.meta["call"]["agent"]["extension"] == "301"
    assert attempt_ticket.status is TicketStatus.NEW  # an attempt takes nothing up
    assert (await world.clocks(ticket)).first_response_at is None

    reached_ticket, _ = await world.take(callback("pbx-3", at(MONDAY, "10:02"), Disposition.answered))
    clocks = await world.clocks(ticket)
    assert clocks.first_response_state is ClockStatus.MET
    assert clocks.first_response_at == at(MONDAY, "10:02")
    assert reached_ticket.status is TicketStatus.OPEN and reached_ticket.assignee_id == world.agent.id


async def test_a_callback_after_three_business_minutes_is_late(world: World) -> None:
    ticket, _ = await world.take(call("pbx-1", at(MONDAY, "11:58"), Disposition.busy))
    # 11:58 + 3 business minutes runs through lunch (12:00 to 13:00): due at 13:01.
    assert (await world.clocks(ticket)).first_response_due_at == at(MONDAY, "13:01")
    await world.take(callback("pbx-2", at(MONDAY, "13:05"), Disposition.answered))
    clocks = await world.clocks(ticket)
    assert clocks.first_response_state is ClockStatus.BREACHED and clocks.first_response_at == at(
        MONDAY, "13:05"
    )


async def test_a_missed_call_on_a_holiday_is_due_on_the_next_working_day(world: World, clock) -> None:
    holiday = date(2026, 10, 1)  # National Day
    clock.at = at(date(2026, 10, 2), "12:00")
    ticket, _ = await world.take(call("pbx-1", at(holiday, "10:00"), Disposition.abandoned))
    due = (await world.clocks(ticket)).first_response_due_at
    assert due is not None and due.astimezone(BEIJING).date() > date(2026, 10, 7)
    assert due.astimezone(BEIJING).time().strftime("%H:%M") == "09:03"
    await world.take(callback("pbx-2", at(holiday, "15:00"), Disposition.no_answer))
    clocks = await world.clocks(ticket)
    assert clocks.first_response_state is ClockStatus.ACTIVE and clocks.first_response_at is None
    await world.take(callback("pbx-3", at(date(2026, 10, 2), "11:00"), Disposition.answered))
    clocks = await world.clocks(ticket)
    assert clocks.first_response_state is ClockStatus.MET and clocks.first_response_at == at(
        date(2026, 10, 2), "11:00"
    )


async def test_yesterdays_log_is_measured_at_yesterdays_times(world: World, clock) -> None:
    clock.at = at(MONDAY + timedelta(days=1), "09:30")  # imported the next morning
    ticket, _ = await world.take(call("pbx-1", at(MONDAY, "15:00"), Disposition.voicemail))
    await world.take(callback("pbx-2", at(MONDAY, "15:02"), Disposition.answered))
    clocks = await world.clocks(ticket)
    assert clocks.first_response_state is ClockStatus.MET  # 2 minutes, yesterday: not 18 hours
    assert clocks.first_response_at == at(MONDAY, "15:02")
    logged = {(e.kind, e.at) for e in await factories.events(world.hub, ticket.id)}
    assert (TicketEventKind.CUSTOMER_MESSAGE, at(MONDAY, "15:00")) in logged
    assert (TicketEventKind.HUMAN_RESPONSE, at(MONDAY, "15:02")) in logged
    assert ticket.created_at == at(MONDAY, "15:00")


async def test_an_answered_call_is_its_own_response(world: World) -> None:
    start = at(MONDAY, "10:00")
    ticket, message = await world.take(
        call("pbx-1", start, Disposition.answered, agent_extension="301", queue="售后")
    )
    meta = message.meta["call"]
    assert meta["agent"] == {"user_id": str(world.agent.id), "extension": "301", "name": world.agent.name}
    assert meta["wait_seconds"] == 20 and meta["talk_seconds"] == 100 and meta["queue"] == "售后"
    assert not meta["callback"]
    clocks = await world.clocks(ticket)
    assert clocks.first_response_state is ClockStatus.MET and clocks.first_response_at == start + timedelta(
        seconds=20
    )
    ticket = await factories.get(world.hub, Ticket, ticket.id)
    assert ticket.status is TicketStatus.OPEN and ticket.assignee_id == world.agent.id


async def test_direction_rules(world: World) -> None:
    line = world.line
    # To one of the line's numbers, or to an extension: inbound, whoever the caller is.
    message, internal = to_message(call("a", at(MONDAY, "10:00"), Disposition.no_answer, callee="302"), line)
    assert not internal and message.direction == "inbound" and message.sender.identity == CLIENT_E164
    # From a mapped extension: outbound, to the client, placed by the extension's user.
    message, _ = to_message(callback("b", at(MONDAY, "10:00"), Disposition.answered), line)
    assert message.direction == "outbound" and message.author_user_id == world.agent.id
    assert message.sender.identity == CLIENT_E164 and message.reached
    # A log that says its direction is believed.
    message, _ = to_message(
        call("c", at(MONDAY, "10:00"), Disposition.answered, direction="outbound", agent_extension="301"),
        line,
    )
    assert message.direction == "outbound"
    # Between two extensions: internal, kept in the log with no ticket.
    record = call("d", at(MONDAY, "10:00"), Disposition.answered, caller="301", callee="302")
    message, internal = to_message(record, line)
    assert internal
    assert await ingest.keep_logged(world.hub, [(message, b"{}")]) == [True]
    assert await ingest.keep_logged(world.hub, [(message, b"{}")]) == [False]
    async with world.hub.uow() as uow:
        raw = (await uow.session.execute(sa.select(RawInbound.status, RawInbound.ticket_id))).one()
    assert raw == (RawStatus.PROCESSED, None) and await factories.count(world.hub, Ticket) == 0
    # From an extension nobody mapped, to a client: refused with what to do, never guessed.
    with pytest.raises(CallProblem, match="hub phone extension"):
        to_message(
            call(
                "e",
                at(MONDAY, "10:00"),
                Disposition.answered,
                caller="309",
                callee=CLIENT,
                direction="outbound",
            ),
            line,
        )


async def test_a_number_no_one_can_read_is_kept_and_flagged(world: World) -> None:
    _, message = await world.take(
        call("pbx-1", at(MONDAY, "10:00"), Disposition.no_answer, caller="anonymous")
    )
    assert (
        message.meta["call"]["unreadable"] == ["anonymous"] and message.meta["call"]["caller"] == "anonymous"
    )
    async with world.hub.uow() as uow:
        assert await uow.session.scalar(sa.select(ContactIdentity.value)) == "anonymous"
    _, local = await world.take(
        call("pbx-2", at(MONDAY, "10:05"), Disposition.no_answer, caller="02161234567")
    )
    assert local.meta["call"]["caller"] == "+862161234567" and local.meta["call"]["unreadable"] == []


async def test_a_deleted_user_leaves_their_calls_readable(world: World) -> None:
    _, message = await world.take(callback("pbx-1", at(MONDAY, "10:00"), Disposition.answered))
    async with world.hub.uow() as uow:
        await uow.session.execute(sa.delete(User).where(User.id == world.agent.id))
        await uow.commit()
    kept = await factories.get(world.hub, Message, message.id)
    assert kept.author_user_id is None
    assert (
        kept.meta["call"]["agent"]["extension"] == "301"
        and kept.meta["call"]["agent"]["name"] == world.agent.name
    )
    assert await extensions.list_extensions(world.hub, CLI, world.line.channel_id) == []


@pytest.mark.parametrize("batch_size", [1, 2])
async def test_an_import_in_small_batches_places_every_call_as_one_batch_does(
    world: World, batch_size: int
) -> None:
    """The import's overlapping stages (batch k processed while k+1 is stored and k+2 read) at
    batch sizes that put every call in a stage of its own: a callback still finds the ticket its
    missed call opened in an earlier batch, the call between desks stays in the log, the row cut
    short is reported with its line, and the counts are those of one batch."""
    (reading,) = read_cdr_files([("Master.csv", MASTER_CSV)], timezone=BEIJING)
    summary = Summary(files=1, rows=reading.rows)
    for problem in reading.problems:
        summary.reject((problem.file, problem.line), problem.reason)
    sourced = [Sourced(c, "Master.csv") for c in reading.calls]
    await import_calls(world.hub, world.line, sourced, summary, batch_size=batch_size)
    counts = (summary.calls, summary.created, summary.threaded, summary.internal, summary.rejected)
    assert counts == (5, 3, 1, 1, 1)
    assert summary.problems == [
        {"file": "Master.csv", "line": 7, "reason": "2 columns where Asterisk writes 16 to 21"}
    ]
    async with world.hub.uow() as uow:
        calls = {m.external_id: m for m in await uow.session.scalars(sa.select(Message))}
    assert calls["1772416800.1"].ticket_id == calls["1772416920.2"].ticket_id
