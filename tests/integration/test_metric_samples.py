"""Metric samples follow the live use cases: every commit queues its ticket, and the worker's drain
(run here the same way, before each read) derives them."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from hub.actors import CLI
from hub.calendars import service as calendars
from hub.calendars.model import DayKind
from hub.delivery import reports as delivery_reports
from hub.domain import ChannelKind, TicketStatus
from hub.models import AuditEvent, Message, MetricDaily, MetricSample, Ticket, TicketSla
from hub.reporting import projection, reports
from hub.tickets import tickets
from tests import factories
from tests.integration.sla_setup import desk, local, sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
def hub(clocked_hub, clock):
    clock.at = sh("2026-03-04T10:00")  # a Wednesday
    return clocked_hub


async def samples(hub, ticket_id: uuid.UUID, metric: str | None = None) -> list[MetricSample]:
    await projection.drain(hub)
    async with hub.uow() as uow:
        query = sa.select(MetricSample).where(MetricSample.ticket_id == ticket_id)
        if metric:
            query = query.where(MetricSample.metric == metric)
        return list(await uow.session.scalars(query.order_by(MetricSample.bucket_at, MetricSample.id)))


async def test_a_chat_gives_first_response_reply_time_and_resolution_samples(hub, clock) -> None:
    d = await desk(hub)
    agent = factories.actor(d.agent)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    clock.advance(minutes=2)
    await tickets.note(hub, agent, ticket_id, tickets.Draft(text="内部备注"))  # never a response
    clock.advance(minutes=1)
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="您好"))
    clock.advance(minutes=10)
    await d.message(hub, ChannelKind.WEBCHAT, text="还有一个问题")
    clock.advance(minutes=1)
    await d.message(hub, ChannelKind.WEBCHAT, text="在吗")
    clock.advance(minutes=4)
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="在的"))
    clock.advance(minutes=1)
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="还有吗"))  # a run: no sample
    clock.advance(minutes=5)
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)

    (first,) = await samples(hub, ticket_id, "first_response")
    assert first.calendar_seconds == 180 and first.business_seconds == 180 and first.within_target is True
    assert first.agent_id == d.agent.id and first.channel_kind == "webchat" and first.calendar == "cn"
    assert first.team_id == d.team.id and first.end_message_id is not None
    (reply,) = await samples(hub, ticket_id, "reply_time")
    assert reply.calendar_seconds == 300 and reply.within_target is False, "from the oldest unanswered"
    assert local(reply.started_at) == "2026-03-04T10:13:00"
    (resolution,) = await samples(hub, ticket_id, "resolution_first")
    assert resolution.calendar_seconds == 24 * 60
    sla = {(s.target, s.outcome) for s in await samples(hub, ticket_id, "sla")}
    assert ("first_response", "met") in sla and ("next_response", "breached") in sla
    async with hub.uow() as uow:
        rollup = await uow.session.scalar(
            sa.select(sa.func.sum(MetricDaily.n)).where(MetricDaily.metric == "first_response")
        )
    assert rollup == 1


async def test_a_reply_whose_delivery_failed_for_good_is_not_a_response(hub, clock) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.EMAIL, sender="client@example.com")
    clock.advance(minutes=30)
    message = await tickets.reply(hub, factories.actor(d.agent), ticket_id, tickets.Draft(text="Hi"))
    assert len(await samples(hub, ticket_id, "first_response")) == 1
    async with hub.uow() as uow:
        await uow.session.execute(
            sa.update(Message).where(Message.id == message.id).values(external_id="m-1")
        )
        await uow.commit()
    clock.advance(minutes=5)
    await delivery_reports.failed_after_sending(hub, ["m-1"], "550 mailbox unknown")
    assert await samples(hub, ticket_id, "first_response") == []


async def test_a_calendar_change_moves_nothing_until_the_audited_recompute(hub, clock) -> None:
    d = await desk(hub)
    clock.at = sh("2026-03-06T17:50")  # Friday, 10 minutes before the end of the day
    ticket_id = await d.message(hub, ChannelKind.EMAIL, sender="client@example.com")
    clock.at = sh("2026-03-09T09:10")  # Monday
    await tickets.reply(hub, factories.actor(d.agent), ticket_id, tickets.Draft(text="Hi"))
    (first,) = await samples(hub, ticket_id, "first_response")
    assert first.business_seconds == 20 * 60
    # Monday 9 March becomes a holiday on the company calendar.
    await calendars.set_day(hub, CLI, "cn", sh("2026-03-09T00:00").date(), DayKind.HOLIDAY, note="test")
    clock.advance(minutes=1)
    await tickets.note(hub, factories.actor(d.agent), ticket_id, tickets.Draft(text="note"))
    (kept,) = await samples(hub, ticket_id, "first_response")
    assert kept.business_seconds == 20 * 60 and kept.id == first.id, "frozen until a recompute"
    counts = await projection.rebuild(hub, CLI, calendar="cn", reason="9 March declared a holiday")
    assert counts["changed"] >= 1
    (now,) = await samples(hub, ticket_id, "first_response")
    assert now.business_seconds == 10 * 60
    async with hub.uow() as uow:
        lines = list(
            await uow.session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.action == "metric_sample.recomputed",
                    AuditEvent.before["metric"].astext == "first_response",
                )
            )
        )
    assert [(a.before["business_seconds"], a.after["business_seconds"]) for a in lines] == [(1200.0, 600.0)]


async def _summary(hub, start: str, end: str, **extra) -> dict:
    async with hub.uow() as uow:
        return await reports.summary(
            uow.session, CLI, reports.Filters(date.fromisoformat(start), date.fromisoformat(end), **extra)
        )


async def test_the_summary_says_its_backlog_at_period_end_its_live_waits_and_how_fresh_it_is(
    hub, clock
) -> None:
    d = await desk(hub)
    agent = factories.actor(d.agent)
    answered = await d.message(hub, ChannelKind.WEBCHAT, sender="v-answered")
    clock.advance(minutes=5)
    waiting = await d.message(hub, ChannelKind.WEBCHAT, sender="v-waiting")  # never answered
    clock.advance(minutes=5)
    await tickets.reply(hub, agent, answered, tickets.Draft(text="您好"))
    await tickets.set_status(hub, agent, answered, TicketStatus.RESOLVED)
    clock.at = sh("2026-03-05T10:00")
    again = await d.message(hub, ChannelKind.WEBCHAT, sender="v-again")
    clock.advance(minutes=30)
    await tickets.reply(hub, agent, again, tickets.Draft(text="Done"))
    await tickets.set_status(hub, agent, again, TicketStatus.RESOLVED)
    clock.at = sh("2026-03-06T09:00")
    await tickets.set_status(hub, agent, again, TicketStatus.OPEN)  # taken back: a reopen

    stale = await _summary(hub, "2026-03-01", "2026-03-31")
    assert stale["freshness"]["queued_tickets"] == 3 and stale["freshness"]["oldest_queued_at"]
    await projection.drain(hub)
    # Open at the end of each day: 4 March the unanswered chat; 5 March the same (the second chat
    # came and was resolved that day); 6 March the second chat too, taken back by its agent.
    backlog = {
        end: (await _summary(hub, "2026-03-01", end))["total"]["volumes"]["backlog_at_end"]
        for end in ("2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06")
    }
    assert backlog == {"2026-03-03": 0, "2026-03-04": 1, "2026-03-05": 1, "2026-03-06": 2}
    by_channel = await _summary(hub, "2026-03-01", "2026-03-06", by="channel")
    assert by_channel["freshness"]["queued_tickets"] == 0
    groups = {g["key"]: g for g in by_channel["groups"]}
    assert groups["webchat"]["volumes"]["backlog_at_end"] == 2 and set(groups) == {"webchat"}
    # M4: the chat nobody answered waits now, measured live from its SLA clock (the one taken back
    # waits on nobody's message).
    live = by_channel["total"]["live_wait"]
    assert (
        live["waiting"] == 1 and live["max"] == live["median"] == live["mean"] > 200 * 86400
    )  # since 4 March
    assert groups["webchat"]["live_wait"]["waiting"] == 1
    # A dimension a live number cannot group by (the playbook): the total alone.
    by_playbook = await _summary(hub, "2026-03-01", "2026-03-06", by="playbook")
    assert by_playbook["total"]["live_wait"]["waiting"] == 1
    async with hub.uow() as uow:
        since = await uow.session.scalar(
            sa.select(TicketSla.waiting_since).where(TicketSla.ticket_id == waiting)
        )
    assert local(since) == "2026-03-04T10:05:00"


async def test_the_ticket_view_and_the_lists_read_the_same_samples_b10_b17(hub, clock) -> None:
    """B10: the anchor's list and ticket views disagreed; here both read the same samples. B17:
    its fields were never filled; here a ticket not yet derived says so instead of showing 0."""
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    clock.advance(minutes=7)
    await tickets.reply(hub, factories.actor(d.agent), ticket_id, tickets.Draft(text="您好"))
    clock.advance(hours=1)
    await tickets.set_status(hub, factories.actor(d.agent), ticket_id, TicketStatus.RESOLVED)
    async with hub.uow() as uow:
        number = str(await uow.session.scalar(sa.select(Ticket.number).where(Ticket.id == ticket_id)))
        pending = await reports.ticket_report(uow.session, CLI, number)
    assert pending["queued"] is True and pending["first_response"] is None
    await projection.drain(hub)
    day = reports.Filters(date(2026, 3, 4), date(2026, 3, 4))
    async with hub.uow() as uow:
        ticket = await reports.ticket_report(uow.session, CLI, number)
        listed = await reports.summary(uow.session, CLI, day)
        rows = await reports.sample_rows(uow.session, CLI, day, metric="first_response", limit=10, offset=0)
    assert ticket["queued"] is False
    assert ticket["first_response"] == {
        "calendar_seconds": 420.0,
        "business_seconds": 420.0,
        "by": d.agent.email,
    }
    first = listed["total"]["durations"]["first_response"]
    assert (first["n"], first["mean"], first["max"]) == (1, 420.0, 420.0)
    assert [(r["ticket_number"], r["business_seconds"]) for r in rows] == [(int(number), 420.0)]
    resolution = listed["total"]["durations"]["resolution_first"]
    assert resolution["mean"] == ticket["resolution_first"]["business_seconds"] == 67 * 60
