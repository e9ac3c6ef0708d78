"""Quality cases (8D) against the database: due times in the buyer's business time, answers and
reviews, the late-step sweep and the partner's lateness, the ERP's pushes and their field ownership."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from hub.accounts import accounts
from hub.actors import CLI
from hub.domain import ChannelKind, Direction, Presence, TicketEventKind
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.models import Message, Notification, QualityStep, Ticket
from hub.portal import quality, sync
from hub.portal.terms import QualityCaseStatus, QualityStepStatus
from hub.requirements import followup_sweep
from tests import factories
from tests.portal.helpers import case as open_case
from tests.portal.helpers import partner

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _steps(hub, case_id) -> dict[str, QualityStep]:
    async with hub.uow() as uow:
        rows = await uow.session.scalars(sa.select(QualityStep).where(QualityStep.case_id == case_id))
        return {row.discipline.value: row for row in rows}


async def test_steps_are_due_in_the_buyers_business_time_and_a_partner_may_have_its_own(clocked_hub) -> None:
    hub = clocked_hub
    who = await partner(hub)
    # Monday 2 March 2026, 17:00 in Shanghai: half an hour of the working day is left.
    case = await open_case(hub, who)
    steps = await _steps(hub, case.id)
    assert sorted(steps) == ["D3", "D4", "D5", "D8"]
    d3 = steps["D3"].due_at.astimezone(SHANGHAI)
    assert d3.date().isoformat() == "2026-03-03" and steps["D3"].duration == "1bd"
    d4 = steps["D4"].due_at.astimezone(SHANGHAI)
    assert d4.date().isoformat() == "2026-03-09" and steps["D5"].due_at == steps["D4"].due_at
    assert steps["D8"].due_at - case.opened_at == timedelta(days=30)
    assert case.number.startswith("QC-") and case.status is QualityCaseStatus.OPEN

    await quality.set_timings(hub, who.manager_actor, who.organization.id, {"D3": "2bd", "D6": "10bd"})
    later = await open_case(hub, who, "第二单 second")
    steps = await _steps(hub, later.id)
    assert sorted(steps) == ["D3", "D4", "D5", "D6", "D8"]
    assert (
        steps["D3"].duration == "2bd"
        and steps["D3"].due_at.astimezone(SHANGHAI).date().isoformat() == "2026-03-04"
    )
    with pytest.raises(InvalidInput):
        await quality.set_timings(hub, who.manager_actor, who.organization.id, {"D9": "1bd"})
    with pytest.raises(Forbidden):
        await quality.set_timings(hub, who.engineer_actor, who.organization.id, {"D3": "1bd"})


async def test_the_case_talks_on_a_portal_ticket_owned_by_the_account_manager(hub) -> None:
    who = await partner(hub)
    case = await open_case(hub, who)
    ticket = await factories.get(hub, Ticket, case.ticket_id)
    assert ticket.channel_kind is ChannelKind.PORTAL and ticket.organization_id == who.organization.id
    assert ticket.assignee_id == who.manager.id

    await quality.answer_step(hub, who.engineer_actor, case.id, "D3", "已隔离全部库存与在途 2,400 件")
    async with hub.uow() as uow:
        said = list(
            await uow.session.scalars(
                sa.select(Message).where(Message.ticket_id == ticket.id).order_by(Message.created_at)
            )
        )
    assert [m.direction for m in said] == [Direction.OUTBOUND, Direction.INBOUND]
    assert "D3: 已隔离全部库存" in (said[-1].text or "")
    async with hub.uow() as uow:
        told = list(
            await uow.session.scalars(
                sa.select(Notification.user_id).where(Notification.kind == "quality_step_answered")
            )
        )
    assert told == [who.manager.id]
    kinds = [e.kind for e in await factories.events(hub, ticket.id)]
    assert TicketEventKind.QUALITY_STEP_ANSWERED in kinds


async def test_answer_reject_with_a_comment_answer_again_and_accept(hub) -> None:
    who = await partner(hub)
    case = await open_case(hub, who)
    with pytest.raises(Forbidden):
        await quality.answer_step(hub, factories.actor(who.clerk), case.id, "D3", "no permission")
    with pytest.raises(InvalidInput):
        await quality.answer_step(
            hub, who.manager_actor, case.id, "D3", "staff do not answer for the partner"
        )
    await quality.answer_step(hub, who.engineer_actor, case.id, "D3", "Containment: sorted 2,400 pcs")
    with pytest.raises(Conflict):
        await quality.answer_step(hub, who.engineer_actor, case.id, "D3", "twice")
    with pytest.raises(InvalidInput):
        await quality.review_step(hub, who.manager_actor, case.id, "D3", decision="reject", comment="  ")
    with pytest.raises(Forbidden):
        await quality.review_step(hub, who.engineer_actor, case.id, "D3", decision="accept", comment="self")
    step = await quality.review_step(
        hub,
        who.manager_actor,
        case.id,
        "D3",
        decision="reject",
        comment="在途货物也要隔离 include in-transit",
    )
    assert step.status is QualityStepStatus.REJECTED and step.review_comment.startswith("在途")
    async with hub.uow() as uow:  # the review is the team's reply to the partner's answer
        last = await uow.session.scalar(
            sa.select(Message)
            .where(Message.ticket_id == case.ticket_id)
            .order_by(Message.created_at.desc())
            .limit(1)
        )
    assert last.direction is Direction.OUTBOUND and last.text == "D3: 在途货物也要隔离 include in-transit"
    await quality.answer_step(hub, who.engineer_actor, case.id, "D3", "In-transit 600 pcs held at the hub")
    for discipline in ("D3",):
        await quality.review_step(
            hub, who.manager_actor, case.id, discipline, decision="accept", comment="OK"
        )
    steps = await _steps(hub, case.id)
    assert steps["D3"].status is QualityStepStatus.ACCEPTED
    for discipline in ("D4", "D5", "D8"):
        await quality.answer_step(hub, who.engineer_actor, case.id, discipline, f"{discipline} done")
        await quality.review_step(
            hub, who.manager_actor, case.id, discipline, decision="accept", comment="OK"
        )
    async with hub.session_factory() as session:
        closed = (await quality.case_view(session, CLI, case.id)).case
    assert closed.status is QualityCaseStatus.CLOSED and closed.closed_at is not None
    with pytest.raises(Conflict):
        await quality.review_step(
            hub, who.manager_actor, case.id, "D3", decision="reject", comment="too late"
        )
    trail = [a.action for a in await factories.audit_trail(hub, case.id)]
    assert trail.count("quality_step.answered") == 5 and "quality_step.rejected" in trail
    assert trail[0] == "quality_case.opened"


async def test_another_partner_cannot_reach_the_case(hub) -> None:
    who, other = await partner(hub), await partner(hub)
    case = await open_case(hub, who)
    with pytest.raises(NotFound):
        await quality.answer_step(hub, other.engineer_actor, case.id, "D3", "not ours")
    async with hub.session_factory() as session:
        assert await quality.list_cases(session, other.engineer_actor) == []
        with pytest.raises(NotFound):
            await quality.case_view(session, other.engineer_actor, case.id)


async def test_a_late_step_escalates_once_and_counts_in_the_partners_lateness(clocked_hub, clock) -> None:
    hub = clocked_hub
    who = await partner(hub)
    case = await open_case(hub, who)
    opened = clock.at
    await quality.answer_step(hub, who.engineer_actor, case.id, "D3", "on time")
    clock.advance(days=8)  # past D4 and D5 (5 business days), not D8
    await accounts.set_presence(hub, CLI, who.manager.id, Presence.AWAY)
    first = await followup_sweep.sweep(hub)
    assert first.rows[quality_sweep_name()] == 2 and first.breaches == 2
    again = await followup_sweep.sweep(hub)
    assert again.rows.get(quality_sweep_name(), 0) == 0
    overdue = await factories.events_of_kind(hub, [TicketEventKind.QUALITY_STEP_OVERDUE], case.ticket_id)
    assert sorted(e.data["discipline"] for e in overdue) == ["D4", "D5"]
    async with hub.uow() as uow:
        told = list(
            await uow.session.scalars(
                sa.select(Notification).where(Notification.kind == "quality_step_overdue")
            )
        )
    # The manager is away: the backup hears of it.
    assert {n.user_id for n in told} == {who.backup.id} and len(told) == 2

    # A late answer: still late.
    await quality.answer_step(hub, who.engineer_actor, case.id, "D4", "root cause: worn die")
    lateness = await quality.quality_step_lateness(
        hub, who.organization.id, (opened, opened + timedelta(days=60))
    )
    assert (lateness.due, lateness.late) == (3, 2) and lateness.ratio == pytest.approx(2 / 3)
    other = await partner(hub)
    assert (await quality.quality_step_lateness(hub, other.organization.id, (opened, clock.at))).due == 0


def quality_sweep_name() -> str:
    return "quality_step"


def _erp_case(who, at: datetime, **fields) -> dict:
    return {
        "partner": {"organization_id": str(who.organization.id)},
        "number": "NCR-2026-0042",
        "title": "Burrs on housing",
        "source_updated_at": at.isoformat(),
        **fields,
    }


async def test_the_erp_creates_updates_and_never_overwrites_the_partners_answers(hub) -> None:
    """Through the sync registry, as orders are: the same outcomes and the same stale problem."""
    who = await partner(hub)
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    async def push(ref: str, body: dict, *, update_only: bool = False) -> sync.Outcome:
        return await sync.upsert_one(hub, CLI, "quality_cases", "sap", ref, body, update_only=update_only)

    created = await push("4711", _erp_case(who, at))
    assert created.result == "created" and created.status_code == 201
    assert (await push("4711", _erp_case(who, at))).result == "unchanged"
    await quality.answer_step(hub, who.engineer_actor, created.id, "D3", "Sorted at our dock")
    changed = _erp_case(who, at + timedelta(hours=1), title="Burrs on housing, lot 7", lot="L7")
    assert await push("4711", changed) == sync.Outcome(created.id, "updated")
    steps = await _steps(hub, created.id)
    assert steps["D3"].answer == "Sorted at our dock" and steps["D3"].status is QualityStepStatus.ANSWERED
    with pytest.raises(sync.Stale) as stale:
        await push("4711", _erp_case(who, at))
    assert stale.value.code == "sync_stale"
    with pytest.raises(NotFound):
        await push("4712", _erp_case(who, at, number="NCR-2026-0043"), update_only=True)
    other = await partner(hub)
    with pytest.raises(InvalidInput):
        await push("4711", _erp_case(other, at + timedelta(hours=2)))
    # No link yet, the same partner and number: the case the buyer opened is linked, not doubled.
    opened = await open_case(hub, who)
    linked = await push("QC-ref", _erp_case(who, at, number=opened.number, title=opened.title))
    assert linked == sync.Outcome(opened.id, "updated")
    cancelled = _erp_case(who, at + timedelta(hours=3), status="cancelled", title="Burrs on housing, lot 7")
    assert (await push("4711", cancelled)).result == "updated"
    assert all(s.next_due_at is None for s in (await _steps(hub, created.id)).values())
