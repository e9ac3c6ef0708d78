"""Stored SLA clocks follow the use-cases: ingest, reply, status moves and priority, in one transaction."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from hub.actors import CLI
from hub.domain import ChannelKind, Priority, TicketStatus, Tier
from hub.models import Ticket, TicketSla
from hub.sla import policies as sla_policies
from hub.sla import service as sla
from hub.sla.policies import NewPolicy
from hub.sla.targets import ClockStatus as S
from hub.tickets import tickets
from tests import factories
from tests.integration.sla_setup import clocks, desk, local, sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
def hub(clocked_hub, clock):
    clock.at = sh("2026-03-04T10:00")  # a Wednesday
    return clocked_hub


async def test_a_chat_ticket_is_due_in_three_business_minutes_and_warned_before(hub) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    row = await clocks(hub, ticket_id)
    assert row.policy_name == "default-webchat" and row.policy_id is None and row.calendar == "cn"
    assert row.first_response_state is S.ACTIVE
    assert local(row.first_response_due_at) == "2026-03-04T10:03:00"
    assert local(row.warning_at) == "2026-03-04T10:02:24"
    assert row.next_due_at == row.warning_at
    assert row.resolution_state is None, "no resolution target by default"
    assert local(row.waiting_since) == "2026-03-04T10:00:00"


async def test_an_email_is_due_the_next_business_day(hub, clock) -> None:
    clock.at = sh("2026-02-13T17:00")  # Friday before the make-up Saturday
    d = await desk(hub)
    row = await clocks(hub, await d.message(hub, ChannelKind.EMAIL, sender="client@example.com"))
    assert row.policy_name == "default-email"
    assert local(row.first_response_due_at) == "2026-02-14T17:00:00"


async def test_a_reply_meets_the_first_response_and_the_next_message_starts_a_wait(hub, clock) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    clock.advance(minutes=2)
    await tickets.reply(hub, factories.actor(d.agent), ticket_id, tickets.Draft(text="您好"))
    row = await clocks(hub, ticket_id)
    assert row.first_response_state is S.MET and local(row.first_response_at) == "2026-03-04T10:02:00"
    assert row.next_due_at is None and row.warning_at is None and row.waiting_since is None
    clock.advance(minutes=10)
    await d.message(hub, ChannelKind.WEBCHAT, text="还有一个问题")
    row = await clocks(hub, ticket_id)
    assert row.next_response_state is S.ACTIVE
    assert local(row.next_response_due_at) == "2026-03-04T10:15:00"


async def test_notes_and_auto_messages_change_no_clock(hub, clock) -> None:
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT)
    before = await clocks(hub, ticket_id)
    clock.advance(minutes=1)
    await tickets.note(hub, factories.actor(d.agent), ticket_id, tickets.Draft(text="内部备注"))
    await d.message(hub, ChannelKind.WEBCHAT, text="[auto] 我不在办公室", is_auto=True)
    after = await clocks(hub, ticket_id)
    assert (
        after.first_response_state is S.ACTIVE and after.first_response_due_at == before.first_response_due_at
    )
    assert after.first_response_at is None


async def test_pending_pauses_and_the_customer_answer_resumes_with_the_due_moved(hub, clock) -> None:
    await sla_policies.create_policy(
        hub,
        CLI,
        NewPolicy(
            name="email resolution",
            channel_kind=ChannelKind.EMAIL,
            first_response="1bd",
            next_response="1bd",
            resolution="1bd",
        ),
    )
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.EMAIL, sender="client@example.com")
    agent = factories.actor(d.agent)
    clock.advance(hours=1)
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="请提供订单号"))
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.PENDING)
    row = await clocks(hub, ticket_id)
    assert row.resolution_state is S.PAUSED and row.resolution_due_at is None and row.next_due_at is None
    assert local(row.paused_since) == "2026-03-04T11:00:00"
    clock.at = sh("2026-03-05T10:00")  # the next morning, inside the threading window
    assert (
        await d.message(hub, ChannelKind.EMAIL, sender="client@example.com", text="订单号 A-1") == ticket_id
    )
    row = await clocks(hub, ticket_id)
    assert row.paused_since is None and row.resolution_state is S.ACTIVE
    # 1 h used before the pause (10:00-11:00), 7 h left from Thursday 10:00: Thursday 18:00.
    assert local(row.resolution_due_at) == "2026-03-05T18:00:00"
    assert local(row.next_response_due_at) == "2026-03-06T10:00:00"


async def test_resolving_meets_the_resolution_and_a_customer_reopening_starts_a_new_cycle(hub, clock) -> None:
    await sla_policies.create_policy(
        hub,
        CLI,
        NewPolicy(
            name="chat",
            channel_kind=ChannelKind.WEBCHAT,
            first_response="3bm",
            next_response="3bm",
            resolution="2bh",
        ),
    )
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.WEBCHAT, thread_ref="conversation-1")
    agent = factories.actor(d.agent)
    clock.advance(minutes=1)
    await tickets.reply(hub, agent, ticket_id, tickets.Draft(text="好的"))
    clock.advance(minutes=5)
    await tickets.set_status(hub, agent, ticket_id, TicketStatus.RESOLVED)
    row = await clocks(hub, ticket_id)
    assert row.resolution_state is S.MET and row.next_due_at is None and row.cycle == 1
    clock.advance(days=1)
    assert await d.message(hub, ChannelKind.WEBCHAT, text="又坏了", thread_ref="conversation-1") == ticket_id
    row = await clocks(hub, ticket_id)
    assert row.cycle == 2 and row.resolution_state is S.ACTIVE
    assert local(row.resolution_due_at) == "2026-03-05T13:06:00", "2 working hours, lunch skipped"
    assert row.first_response_state is S.MET, "the first response was promised once"
    assert row.next_response_state is S.ACTIVE and local(row.next_response_due_at) == "2026-03-05T10:09:00"


async def test_the_priority_chooses_the_policy(hub, clock) -> None:
    urgent = await sla_policies.create_policy(
        hub,
        CLI,
        NewPolicy(
            name="urgent email",
            channel_kind=ChannelKind.EMAIL,
            priority=Priority.URGENT,
            first_response="1bh",
        ),
    )
    d = await desk(hub)
    ticket_id = await d.message(hub, ChannelKind.EMAIL, sender="client@example.com")
    assert (await clocks(hub, ticket_id)).policy_name == "default-email"
    await tickets.set_priority(hub, factories.actor(d.agent), ticket_id, Priority.URGENT)
    row = await clocks(hub, ticket_id)
    assert row.policy_id == urgent.id and local(row.first_response_due_at) == "2026-03-04T11:00:00"


async def test_a_core_client_gets_its_tier_policy(hub) -> None:
    await sla_policies.create_policy(hub, CLI, NewPolicy(name="core", tier=Tier.CORE, first_response="30bm"))
    d = await desk(hub)
    await factories.organization(hub, tier=Tier.CORE, domains=["core.example"])
    row = await clocks(hub, await d.message(hub, ChannelKind.EMAIL, sender="buyer@core.example"))
    assert row.policy_name == "core" and local(row.first_response_due_at) == "2026-03-04T10:30:00"
    plain = await clocks(hub, await d.message(hub, ChannelKind.EMAIL, sender="someone@else.example"))
    assert plain.policy_name == "default-email"


async def test_an_organization_calendar_that_does_not_exist_falls_back_to_cn(hub) -> None:
    d = await desk(hub)
    org = await factories.organization(hub, domains=["gone.example"])
    async with hub.uow() as uow:
        await uow.session.execute(
            sa.text("UPDATE organizations SET calendar = 'gone' WHERE id = :id"), {"id": org.id}
        )
        await uow.commit()
    row = await clocks(hub, await d.message(hub, ChannelKind.WEBCHAT, sender="v"))
    assert row.calendar == "cn"
    row = await clocks(hub, await d.message(hub, ChannelKind.EMAIL, sender="a@gone.example"))
    assert row.calendar == "cn" and row.first_response_due_at is not None


async def test_recompute_rebuilds_the_stored_clocks_from_the_events(hub, clock) -> None:
    d = await desk(hub)
    first = await d.message(hub, ChannelKind.WEBCHAT)
    clock.advance(minutes=1)
    await tickets.reply(hub, factories.actor(d.agent), first, tickets.Draft(text="在的"))
    second = await d.message(hub, ChannelKind.EMAIL, sender="client@example.com")
    expected = {t: _plain(await clocks(hub, t)) for t in (first, second)}
    async with hub.uow() as uow:
        await uow.session.execute(sa.delete(TicketSla))
        await uow.commit()
    assert await sla.recompute(hub) == 2
    assert {t: _plain(await clocks(hub, t)) for t in (first, second)} == expected
    number = (await factories.get(hub, Ticket, first)).number
    assert await sla.recompute(hub, ticket_number=number) == 1


def _plain(row: TicketSla) -> dict[str, object]:
    return {c.key: getattr(row, c.key) for c in TicketSla.__table__.columns if c.key != "updated_at"}


async def test_the_warning_lead_comes_from_the_settings(hub) -> None:
    def lead(percent: int):
        return dataclasses.replace(
            hub, settings=dataclasses.replace(hub.settings, sla_warning_lead_percent=percent)
        )

    d = await desk(hub)
    quiet = await clocks(hub, await d.message(lead(0), ChannelKind.EMAIL, sender="a@example.com"))
    assert quiet.warning_at is None and quiet.next_due_at == quiet.first_response_due_at
    half = await clocks(hub, await d.message(lead(50), ChannelKind.EMAIL, sender="b@example.com"))
    assert local(half.warning_at) == "2026-03-04T15:00:00", "4 of 8 working hours, lunch skipped"


async def test_a_clock_that_cannot_be_computed_does_not_stop_the_ingest(hub, monkeypatch, caplog) -> None:
    real = sla.compute_clocks
    calls = []

    def broken_once(events, policy, calendar, now, **kwargs):
        calls.append(policy)
        if len(calls) == 1:
            raise ValueError("calendar 'cn' has no working time for 3660 days")
        return real(events, policy, calendar, now, **kwargs)

    monkeypatch.setattr(sla, "compute_clocks", broken_once)
    d = await desk(hub)
    row = await clocks(hub, await d.message(hub, ChannelKind.WEBCHAT))
    assert row.policy_name is None and row.first_response_state is None and row.next_due_at is None
    assert "cannot be computed" in caplog.text
