"""The metric projection's queue: a commit that grows a ticket's log queues the ticket in the same
transaction, whoever wrote the event, and it stays queued until a drain's derivation commits."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub.domain import ChannelKind, RequirementEventKind, TicketEventKind
from hub.models import MetricQueue, MetricSample, RequirementEvent
from hub.reporting import projection
from hub.requirements import requirements
from hub.tickets import timeline
from tests import factories
from tests.integration.sla_setup import desk, sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
#: The sweep's alerts: they change no sample (a report reads an overdue instance as breached).
UNQUEUED = {TicketEventKind.SLA_WARNING, TicketEventKind.SLA_BREACHED, TicketEventKind.HANDOFF_WARNING}


@pytest.fixture
def hub(clocked_hub, clock):
    clock.at = sh("2026-03-04T10:00")
    return clocked_hub


async def queued(hub) -> set[uuid.UUID]:
    async with hub.uow() as uow:
        return set(await uow.session.scalars(sa.select(MetricQueue.ticket_id)))


async def sample_count(hub, ticket_id: uuid.UUID) -> int:
    async with hub.uow() as uow:
        return await uow.session.scalar(
            sa.select(sa.func.count()).select_from(MetricSample).where(MetricSample.ticket_id == ticket_id)
        )


async def test_a_ticket_stays_queued_through_a_drain_that_never_committed(hub) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    assert await queued(hub) == {ticket_id} and await sample_count(hub, ticket_id) == 0
    # A drain that claimed the ticket and died before its commit (the worker killed mid-batch).
    async with hub.uow() as uow:
        assert list(await uow.session.scalars(projection._CLAIM, {"n": 10})) == [ticket_id]
    assert await queued(hub) == {ticket_id}
    assert await projection.drain(hub) == 1
    assert await queued(hub) == set() and await sample_count(hub, ticket_id) > 0
    assert await projection.drain(hub) == 0


async def test_every_kind_of_log_event_queues_its_ticket_but_the_sweeps_alerts(hub, clock) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    await projection.drain(hub)
    for kind in TicketEventKind:
        async with hub.uow() as uow:
            timeline.append(uow.session, ticket_id, kind, at=clock.now())
            await uow.commit()
        assert await queued(hub) == (set() if kind in UNQUEUED else {ticket_id}), kind
        await projection.drain(hub)


async def test_a_requirement_event_a_sweep_writes_queues_its_ticket(hub, clock) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    requirement = await requirements.record(
        hub, factories.actor(d.agent), ticket_id, requirements.NewRequirement(content="样品寄送")
    )
    assert await projection.drain(hub) == 1
    # What the follow-up sweep inserts when the 3-business-day promise runs out: no bus event.
    async with hub.uow() as uow:
        uow.session.add(
            RequirementEvent(
                requirement_id=requirement.id,
                kind=RequirementEventKind.FEEDBACK_BREACHED,
                at=clock.now(),
                dedupe_key="feedback_breached",
                data={},
            )
        )
        await uow.commit()
    assert await queued(hub) == {ticket_id}


async def test_the_workers_cron_drains_the_queue_every_second(runtime, hub) -> None:
    from web.worker import build_worker, metrics_drain

    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    worker = build_worker(runtime, handle_signals=False)  # never run: closing it would close runtime.arq
    (cron,) = [c for c in worker.cron_jobs if c.name == projection.DRAIN_JOB]
    assert cron.second == set(range(60))
    assert await metrics_drain({"runtime": runtime}) == 1
    assert await queued(hub) == set() and await sample_count(hub, ticket_id) > 0


async def test_a_drain_of_some_tickets_leaves_the_others_to_the_worker(hub) -> None:
    d = await desk(hub)
    mine = await d.message(hub, ChannelKind.WEBCHAT, sender="v-mine")
    theirs = await d.message(hub, ChannelKind.WEBCHAT, sender="v-theirs")
    assert await projection.drain(hub, only=[mine]) == 1
    assert await queued(hub) == {theirs} and await sample_count(hub, mine) > 0
