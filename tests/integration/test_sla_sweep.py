"""The SLA sweep: warnings and breaches recorded once, people told, workers racing safely."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import pytest
import sqlalchemy as sa

from hub import notifications
from hub.domain import ChannelKind, TicketEventKind, TicketStatus
from hub.models import Notification, TicketEvent
from hub.ports import JobRequest
from hub.sla.sweep import sweep
from hub.sla.targets import ClockStatus as S
from hub.tickets import tickets
from tests import factories
from tests.integration.sla_setup import clocks, desk, sh
from web.worker import build_worker, sla_sweep

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
K = TicketEventKind


@pytest.fixture
def hub(clocked_hub, clock):
    clock.at = sh("2026-03-04T10:00")  # a Wednesday
    return clocked_hub


async def _sla_events(hub, ticket_id: uuid.UUID | None = None) -> list[TicketEvent]:
    return await factories.events_of_kind(hub, [K.SLA_WARNING, K.SLA_BREACHED], ticket_id)


async def _notified(hub) -> list[tuple[uuid.UUID, str]]:
    async with hub.uow() as uow:
        rows = await uow.session.execute(
            sa.select(Notification.user_id, Notification.kind).order_by(Notification.created_at)
        )
        return [tuple(r) for r in rows]


async def test_a_warning_then_a_breach_each_recorded_once_and_told(hub, clock) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    assert (await sweep(hub)).tickets == 0, "nothing is due yet"

    clock.at = sh("2026-03-04T10:02:30")
    result = await sweep(hub)
    assert (result.warnings, result.breaches) == (1, 0)
    (warning,) = await _sla_events(hub, ticket_id)
    assert warning.kind is K.SLA_WARNING and warning.dedupe_key == "sla_warning:first_response:1"
    assert warning.data["target"] == "first_response" and warning.data["policy"] == "default-webchat"
    assert await _notified(hub) == [(d.agent.id, "sla_warning")], "a warning goes to the assignee only"

    clock.at = sh("2026-03-04T10:03:30")
    result = await sweep(hub)
    assert (result.warnings, result.breaches) == (0, 1)
    kinds = [e.kind for e in await _sla_events(hub, ticket_id)]
    assert kinds == [K.SLA_WARNING, K.SLA_BREACHED]
    told = await _notified(hub)
    assert sorted(told[1:]) == sorted([(d.agent.id, "sla_breached"), (d.lead.id, "sla_breached")])
    row = await clocks(hub, ticket_id)
    assert row.first_response_state is S.BREACHED and row.breached and row.next_due_at is None

    clock.advance(hours=1)
    again = await sweep(hub)
    assert (again.tickets, again.warnings, again.breaches) == (0, 0, 0)
    assert len(await _sla_events(hub, ticket_id)) == 2


async def test_the_sweep_ignores_met_and_paused_tickets(hub, clock) -> None:
    d = await desk(hub)
    agent = factories.actor(d.agent)
    met = await d.message(hub, ChannelKind.WEBCHAT, sender="a")
    paused = await d.message(hub, ChannelKind.WEBCHAT, sender="b")
    late = await d.message(hub, ChannelKind.WEBCHAT, sender="c")
    clock.advance(minutes=1)
    await tickets.reply(hub, agent, met, tickets.Draft(text="在"))
    await tickets.set_status(hub, agent, paused, TicketStatus.PENDING)
    assert (await clocks(hub, met)).next_due_at is None
    assert (await clocks(hub, paused)).next_due_at is None
    clock.advance(hours=3)
    result = await sweep(hub)
    assert result.tickets == 1 and result.breaches == 1
    assert {e.ticket_id for e in await _sla_events(hub)} == {late}


async def test_a_late_answer_the_sweep_missed_is_recorded_but_tells_nobody(hub, clock) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    clock.advance(minutes=5)
    await tickets.reply(hub, factories.actor(d.agent), ticket_id, tickets.Draft(text="抱歉久等"))
    assert (await clocks(hub, ticket_id)).first_response_state is S.BREACHED
    result = await sweep(hub)
    assert result.breaches == 1 and result.notified == 0
    (breach,) = await _sla_events(hub, ticket_id)
    assert breach.data["met_at"] is not None
    assert await _notified(hub) == []


async def test_two_sweeps_racing_record_each_breach_exactly_once(hub, clock) -> None:
    d = await desk(hub)
    ids = [await d.message(hub, ChannelKind.WEBCHAT, sender=f"visitor-{i}") for i in range(24)]
    clock.advance(minutes=10)
    first, second = await asyncio.gather(sweep(hub, batch_size=3), sweep(hub, batch_size=3))
    assert first.breaches + second.breaches == len(ids)
    assert first.tickets + second.tickets == len(ids)
    events = await _sla_events(hub)
    assert sorted(e.ticket_id for e in events) == sorted(ids)
    assert all(e.kind is K.SLA_BREACHED for e in events)
    told = await _notified(hub)
    assert len(told) == 2 * len(ids), "assignee and lead, once per ticket"


async def test_the_database_refuses_a_second_record_of_the_same_alert(hub, clock) -> None:
    """Even a sweep that read an old log (or a buggy one) cannot record an alert twice."""
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    clock.advance(minutes=10)
    await sweep(hub)
    async with hub.uow() as uow:
        await uow.session.execute(
            sa.text("UPDATE ticket_sla SET next_due_at = :at"), {"at": sh("2026-03-04T10:03")}
        )
        await uow.commit()
    result = await sweep(hub)
    assert result.tickets == 1 and result.breaches == 0
    assert len(await _sla_events(hub, ticket_id)) == 1


async def test_the_sweep_query_is_an_index_range_scan(runtime) -> None:
    async with runtime.engine.connect() as connection:
        await connection.execute(sa.text("SET enable_seqscan = off"))
        plan = "\n".join(
            row[0]
            for row in await connection.execute(
                sa.text(
                    "EXPLAIN SELECT * FROM ticket_sla WHERE next_due_at < now() "
                    "ORDER BY next_due_at LIMIT 500 FOR UPDATE SKIP LOCKED"
                )
            )
        )
    assert "ix_ticket_sla_next_due_at" in plan


class _Mailer:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    async def send_notification(self, *, to: str, subject: str, text: str) -> None:
        self.sent.append({"to": to, "subject": subject, "text": text})


class _Jobs:
    def __init__(self) -> None:
        self.queued: list[JobRequest] = []

    async def enqueue(self, jobs: list[JobRequest]) -> None:
        self.queued.extend(jobs)


async def test_with_a_mailer_each_notification_gets_an_email_job(hub, clock) -> None:
    d = await desk(hub)
    await d.message(hub, ChannelKind.WEBCHAT)
    mailer, jobs = _Mailer(), _Jobs()
    mailing = dataclasses.replace(hub, mailer=mailer, jobs=jobs)
    clock.advance(minutes=10)
    await sweep(mailing)
    assert {j.function for j in jobs.queued} == {notifications.EMAIL_JOB}
    assert len(jobs.queued) == 2
    for job in jobs.queued:
        assert await notifications.email(mailing, uuid.UUID(job.args[0]))
    assert sorted(m["to"] for m in mailer.sent) == sorted([d.agent.email, d.lead.email])
    assert all("#10001" in m["text"] and "10:03" in m["text"] for m in mailer.sent)


async def test_without_a_mailer_no_email_job_is_queued(hub, clock) -> None:
    d = await desk(hub)
    await d.message(hub, ChannelKind.WEBCHAT)
    jobs = _Jobs()
    clock.advance(minutes=10)
    await sweep(dataclasses.replace(hub, jobs=jobs, mailer=None))
    assert jobs.queued == []


async def test_the_worker_sweeps_every_30_seconds(runtime, hub, clock) -> None:
    worker = build_worker(runtime, handle_signals=False)  # never run: closing it would close runtime.arq
    (job,) = [c for c in worker.cron_jobs if c.name == "cron:sla_sweep"]
    assert job.second == {0, 30} and job.run_at_startup
    assert notifications.EMAIL_JOB in worker.functions
    d = await desk(hub)
    await d.message(hub, ChannelKind.WEBCHAT)
    clock.advance(minutes=10)
    assert await sla_sweep({"runtime": dataclasses.replace(runtime, hub=hub)}) == {
        "tickets": 1,
        "warnings": 0,
        "breaches": 1,
        "escalations": 0,
    }
