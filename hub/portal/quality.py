"""Quality cases (non-conformance reports worked as 8D): opened by the buyer, answered by the partner
step by step, each answer accepted or rejected by the buyer with a comment.

Each discipline the partner owes is due a set time after the case opened, in the buyer's business
time and the SLA engine's units (defaults: D3 containment ``1bd``, D4 root cause and D5 actions
``5bd``, D8 closure ``30d``; a partner may have its own, :func:`set_timings`). A step is the
partner's to answer while ``open`` or ``rejected``, the buyer's to review once ``answered``; the
case closes when every step is accepted. A step still unanswered at its due time is found by the
deadline sweep (:mod:`hub.portal.quality_sweep`): recorded once on the case's ticket, told to the
account manager, and counted late (:func:`quality_step_lateness`).

Every case talks on one ticket of the ``portal`` channel: the partner's answers are messages
there too, so the account manager owns them with the e-mail promise. Nothing is deleted: a case
is closed or cancelled, and every change leaves its audit line. The buyer's review comment is the team's reply there.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notifications, permissions, scope
from hub.actors import Actor
from hub.calendars import names
from hub.calendars import service as calendars
from hub.calendars.durations import parse_duration
from hub.core import Hub
from hub.db import ROW_LOCK, flush_unique
from hub.domain import OrganizationKind, PortalPermission, TicketEventKind
from hub.errors import Conflict, InvalidInput, NotFound
from hub.models import Organization, QualityCase, QualityStep, QualityTiming, Ticket
from hub.models.portal_quality import CASE_NUMBERS
from hub.portal import messages
from hub.portal import permissions as portal_permissions
from hub.portal.duty import manager_on_duty
from hub.portal.record_events import PortalRecordChanged
from hub.portal.terms import (
    PARTNER_OWES,
    Discipline,
    QualityCaseStatus,
    QualityStepStatus,
    Severity,
)
from hub.sla.deadline import Deadline
from hub.tickets import tickets, timeline
from hub.uow import UnitOfWork

#: What a partner owes when it has no timings of its own: the common 8D practice.
DEFAULT_TIMINGS: dict[Discipline, str] = {
    Discipline.D3: "1bd",
    Discipline.D4: "5bd",
    Discipline.D5: "5bd",
    Discipline.D8: "30d",
}
MAX_TEXT = 10_000
MAX_TITLE = 200


def thread_ref(case_id: uuid.UUID) -> str:
    return f"quality:{case_id}"


@dataclass(frozen=True)
class NewCase:
    title: str
    description: str = ""
    severity: Severity = Severity.MAJOR
    item: str | None = None
    lot: str | None = None


def _text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > limit:
        raise InvalidInput(detail=f"{what} must have 1 to {limit} characters")
    return cleaned


async def timings(session: AsyncSession, organization_id: uuid.UUID) -> dict[Discipline, str]:
    """The partner's due times per discipline: its own where set, else the defaults."""
    found = dict(DEFAULT_TIMINGS)
    rows = await session.execute(
        sa.select(QualityTiming.discipline, QualityTiming.duration).where(
            QualityTiming.organization_id == organization_id
        )
    )
    for discipline, duration in rows:
        found[discipline] = duration
    return dict(sorted(found.items()))


async def set_timings(
    hub: Hub, actor: Actor, organization_id: uuid.UUID, given: Mapping[str, str]
) -> dict[Discipline, str]:
    """Set a partner's own due times (``{"D3": "2bd"}``); the cases opened from now on use them."""
    permissions.require_staff(actor)
    wanted: dict[Discipline, str] = {}
    for key, duration in given.items():
        try:
            discipline = Discipline(key)
        except ValueError:
            raise InvalidInput(detail=f"{key!r} is not a discipline (D1 to D8)") from None
        wanted[discipline] = str(parse_duration(duration))
    async with hub.uow() as uow:
        organization = await _partner_organization(uow.session, organization_id)
        before = await timings(uow.session, organization.id)
        for discipline, duration in wanted.items():
            row = await uow.session.get(QualityTiming, (organization.id, discipline))
            if row is None:
                uow.session.add(
                    QualityTiming(organization_id=organization.id, discipline=discipline, duration=duration)
                )
            else:
                row.duration = duration
        await uow.session.flush()
        after = await timings(uow.session, organization.id)
        uow.emit(
            PortalRecordChanged(
                at=hub.clock.now(),
                actor=actor,
                action="quality_timings.set",
                subject_type="organization",
                subject_id=organization.id,
                before={k.value: v for k, v in before.items()},
                after={k.value: v for k, v in after.items()},
            )
        )
        await uow.commit()
        return after


async def _partner_organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None or organization.kind is not OrganizationKind.PARTNER:
        raise NotFound(what="organization")
    return organization


def snapshot(case: QualityCase) -> dict[str, Any]:
    return {
        "number": case.number,
        "title": case.title,
        "description": case.description,
        "severity": case.severity.value,
        "status": case.status.value,
        "item": case.item,
        "lot": case.lot,
    }


async def open_case(hub: Hub, actor: Actor, organization_id: uuid.UUID, new: NewCase) -> QualityCase:
    """The buyer opens a case against a partner: its steps due from now, its conversation opened.

    (The ERP's cases come through the sync registry, :mod:`hub.portal.quality_sync`, with the
    ERP's own number.)
    """
    permissions.require_staff(actor)
    title, description = checked(new)
    async with hub.uow() as uow:
        organization = await _partner_organization(uow.session, organization_id)
        on_duty = await manager_on_duty(uow.session, organization.id)
        case_number = f"QC-{await uow.session.scalar(CASE_NUMBERS.next_value())}"
    case_id = uuid.uuid4()
    ticket_id = await open_conversation(
        hub, organization.id, case_id, case_number, title, description, actor.user_id or on_duty
    )
    async with hub.uow() as uow:
        case = await add_case(uow, actor, case_id, organization.id, ticket_id, case_number, new)
        await uow.commit()  # the first step is offered by an after-commit subscriber (links.cases_opened)
    return case


def checked(new: NewCase) -> tuple[str, str]:
    title = _text(new.title, "the title", MAX_TITLE)
    description = new.description.strip()
    if len(description) > MAX_TEXT:
        raise InvalidInput(detail=f"the description has at most {MAX_TEXT} characters")
    return title, description


async def open_conversation(
    hub: Hub,
    organization_id: uuid.UUID,
    case_id: uuid.UUID,
    number: str,
    title: str,
    description: str,
    author: uuid.UUID | list[uuid.UUID] | None,
) -> uuid.UUID:
    """The case's ticket on the portal channel, in its own transaction (the ingest's); written by
    ``author``, else by the manager on duty, else it arrives as the partner's own message."""
    if isinstance(author, list):
        author = author[0] if author else None
    return await messages.open_conversation(
        hub,
        organization_id,
        thread_ref=thread_ref(case_id),
        subject=f"[{number}] {title}",
        text=f"{number} {title}\n\n{description}".strip(),
        author_user_id=author,
    )


async def add_case(
    uow: UnitOfWork,
    actor: Actor,
    case_id: uuid.UUID,
    organization_id: uuid.UUID,
    ticket_id: uuid.UUID,
    number: str,
    new: NewCase,
) -> QualityCase:
    """The case and its steps, due from now by the partner's timings, in the caller's transaction
    (the buyer's own, or an ERP push's, which may be one item of a batch)."""
    title, description = checked(new)
    now = uow.hub.clock.now()
    owed = await timings(uow.session, organization_id)
    calendar = await calendars.calendar_in(uow.session, names.DEFAULT)
    case = QualityCase(
        id=case_id,
        organization_id=organization_id,
        ticket_id=ticket_id,
        number=number,
        title=title,
        description=description,
        severity=new.severity,
        item=(new.item or "").strip() or None,
        lot=(new.lot or "").strip() or None,
        calendar=calendar.name,
        opened_at=now,
        created_by_id=actor.user_id,
    )
    uow.session.add(case)
    await flush_unique(uow.session, f"quality case {number}")
    for discipline, duration in owed.items():
        due = Deadline.plan(calendar, now, parse_duration(duration), 0).due_at
        uow.session.add(
            QualityStep(
                case_id=case.id,
                ticket_id=ticket_id,
                organization_id=organization_id,
                discipline=discipline,
                duration=duration,
                due_at=due,
                next_due_at=due,
            )
        )
    uow.emit(
        PortalRecordChanged(
            at=now,
            actor=actor,
            action="quality_case.opened",
            subject_type="quality_case",
            subject_id=case.id,
            after={**snapshot(case), "timings": {k.value: v for k, v in owed.items()}},
        )
    )
    return case


@dataclass(frozen=True)
class CaseView:
    case: QualityCase
    steps: list[QualityStep] = field(default_factory=list)


async def list_cases(
    session: AsyncSession,
    actor: Actor,
    *,
    organization_id: uuid.UUID | None = None,
    status: QualityCaseStatus | None = None,
    limit: int = 100,
) -> list[QualityCase]:
    """Newest first, of the partners ``actor`` may see."""
    query = scope.select(actor, QualityCase)
    if organization_id is not None:
        query = query.where(QualityCase.organization_id == organization_id)
    if status is not None:
        query = query.where(QualityCase.status == status)
    rows = await session.scalars(query.order_by(QualityCase.opened_at.desc(), QualityCase.id).limit(limit))
    return list(rows)


async def case_view(session: AsyncSession, actor: Actor, case_id: uuid.UUID) -> CaseView:
    case = await scope.one(session, actor, QualityCase, case_id)
    if case is None:
        raise NotFound(what="quality case")
    steps = await session.scalars(
        scope.select(actor, QualityStep)
        .where(QualityStep.case_id == case.id)
        .order_by(QualityStep.discipline)
    )
    return CaseView(case, list(steps))


async def _step_for_update(
    uow: UnitOfWork, actor: Actor, case_id: uuid.UUID, discipline: str
) -> tuple[QualityCase, QualityStep, Ticket]:
    case = await scope.one(uow.session, actor, QualityCase, case_id)
    if case is None:
        raise NotFound(what="quality case")
    # The ticket first, as every use case on it does, then the case and the step.
    ticket = await uow.session.get(Ticket, case.ticket_id, with_for_update=ROW_LOCK)
    assert ticket is not None  # the case's conversation is deleted only with the case
    case = await scope.one(uow.session, actor, QualityCase, case_id, lock=True)
    assert case is not None
    try:
        wanted = Discipline(discipline)
    except ValueError:
        raise NotFound(what="quality step") from None
    step = await uow.session.scalar(
        sa.select(QualityStep)
        .where(QualityStep.case_id == case.id, QualityStep.discipline == wanted)
        .with_for_update()
    )
    if step is None:
        raise NotFound(what="quality step")
    if case.status is not QualityCaseStatus.OPEN:
        raise Conflict(detail=f"the case is {case.status.value}")
    return case, step, ticket


def _step_snapshot(step: QualityStep) -> dict[str, Any]:
    return {
        "discipline": step.discipline.value,
        "status": step.status.value,
        "answer": step.answer,
        "review_comment": step.review_comment,
    }


async def answer_step(hub: Hub, actor: Actor, case_id: uuid.UUID, discipline: str, text: str) -> QualityStep:
    """The partner answers a step (needs the quality permission); the buyer reviews it next."""
    portal_permissions.require(actor, PortalPermission.QUALITY)
    if not actor.is_partner:
        raise InvalidInput(detail="the partner answers its quality steps; the buyer accepts or rejects them")
    answer = _text(text, "the answer")
    async with hub.uow() as uow:
        case, step, ticket = await _step_for_update(uow, actor, case_id, discipline)
        if step.status not in PARTNER_OWES:
            raise Conflict(
                detail=f"step {step.discipline.value} is {step.status.value}, not waiting on an answer"
            )
        now = hub.clock.now()
        before = _step_snapshot(step)
        late = now > step.due_at
        step.status = QualityStepStatus.ANSWERED
        step.answer = answer
        step.answered_at = now
        step.answered_by_id = actor.user_id
        # A late answer keeps the step due, so a sweep that has not recorded it yet still does.
        step.next_due_at = step.due_at if late and step.overdue_at is None else None
        timeline.append(
            uow.session,
            ticket.id,
            TicketEventKind.QUALITY_STEP_ANSWERED,
            at=now,
            actor_user_id=actor.user_id,
            case_id=case.id,
            discipline=step.discipline.value,
            late=late,
        )
        notifications.tell(
            uow,
            notifications.rows_for(
                await manager_on_duty(uow.session, case.organization_id),
                kind="quality_step_answered",
                ticket_id=ticket.id,
                params={"number": ticket.number, "case": case.number, "discipline": step.discipline.value},
                now=now,
            ),
        )
        uow.emit(
            PortalRecordChanged(
                at=now,
                actor=actor,
                action="quality_step.answered",
                subject_type="quality_case",
                subject_id=case.id,
                before=before,
                after=_step_snapshot(step),
            )
        )
        await uow.commit()
    await messages.post(hub, actor, f"{step.discipline.value}: {answer}", thread_ref=thread_ref(case.id))
    return step


async def review_step(
    hub: Hub,
    actor: Actor,
    case_id: uuid.UUID,
    discipline: str,
    *,
    decision: Literal["accept", "reject"],
    comment: str,
) -> QualityStep:
    """The buyer accepts or rejects the partner's answer, always saying why; a rejected step goes
    back to the partner, and the case closes once every step is accepted."""
    permissions.require_staff(actor)
    said = _text(comment, "the comment")
    async with hub.uow() as uow:
        case, step, ticket = await _step_for_update(uow, actor, case_id, discipline)
        if step.status is not QualityStepStatus.ANSWERED:
            raise Conflict(detail=f"step {step.discipline.value} is {step.status.value}, not answered")
        now = hub.clock.now()
        before = _step_snapshot(step)
        accepted = decision == "accept"
        step.status = QualityStepStatus.ACCEPTED if accepted else QualityStepStatus.REJECTED
        step.review_comment = said
        step.reviewed_at = now
        step.reviewed_by_id = actor.user_id
        if not accepted and step.overdue_at is None:
            step.next_due_at = step.due_at  # owed again: late if still open at its due time
        timeline.append(
            uow.session,
            ticket.id,
            TicketEventKind.QUALITY_STEP_ACCEPTED if accepted else TicketEventKind.QUALITY_STEP_REJECTED,
            at=now,
            actor_user_id=actor.user_id,
            case_id=case.id,
            discipline=step.discipline.value,
            comment=said,
        )
        closed_before = case.status
        await uow.session.flush()
        remaining = await uow.session.scalar(
            sa.select(sa.func.count()).where(
                QualityStep.case_id == case.id, QualityStep.status != QualityStepStatus.ACCEPTED
            )
        )
        if remaining == 0:
            case.status = QualityCaseStatus.CLOSED
            case.closed_at = now
            case.updated_at = now
        uow.emit(
            PortalRecordChanged(
                at=now,
                actor=actor,
                action=f"quality_step.{'accepted' if accepted else 'rejected'}",
                subject_type="quality_case",
                subject_id=case.id,
                before={**before, "case_status": closed_before.value},
                after={**_step_snapshot(step), "case_status": case.status.value},
                reason=said,
            )
        )
        await uow.commit()
    if actor.user_id is not None:
        # The review answers the partner's message on the case's conversation: the team's response.
        await tickets.reply(
            hub, actor, case.ticket_id, tickets.Draft(text=f"{step.discipline.value}: {said}")
        )
    return step


async def cancel_case(hub: Hub, actor: Actor, case_id: uuid.UUID, *, reason: str) -> QualityCase:
    """Call a case off (opened by mistake, withdrawn): kept, its steps no longer due."""
    permissions.require_staff(actor)
    why = _text(reason, "the reason")
    async with hub.uow() as uow:
        case = await scope.one(uow.session, actor, QualityCase, case_id, lock=True)
        if case is None:
            raise NotFound(what="quality case")
        if case.status is not QualityCaseStatus.OPEN:
            raise Conflict(detail=f"the case is {case.status.value}")
        before = snapshot(case)
        now = hub.clock.now()
        case.status = QualityCaseStatus.CANCELLED
        case.closed_at = case.updated_at = now
        await uow.session.execute(
            sa.update(QualityStep).where(QualityStep.case_id == case.id).values(next_due_at=None)
        )
        uow.emit(
            PortalRecordChanged(
                at=now,
                actor=actor,
                action="quality_case.cancelled",
                subject_type="quality_case",
                subject_id=case.id,
                before=before,
                after=snapshot(case),
                reason=why,
            )
        )
        await uow.commit()
        return case


def is_late(step: QualityStep) -> sa.ColumnElement[bool]:
    """Late: found past due unanswered, or answered after its due time."""
    return sa.or_(QualityStep.overdue_at.is_not(None), QualityStep.answered_at > QualityStep.due_at)


@dataclass(frozen=True)
class Lateness:
    """A partner's quality steps that fell due in a period, and how many of them were late."""

    due: int
    late: int

    @property
    def ratio(self) -> float | None:
        return self.late / self.due if self.due else None


async def quality_step_lateness(
    hub: Hub, organization_id: uuid.UUID, period: tuple[datetime, datetime]
) -> Lateness:
    """Steps of the partner's cases (not cancelled) due within ``[start, end)`` and already due
    now, and the late ones among them."""
    async with hub.uow() as uow:
        return await step_lateness(uow.session, organization_id, hub.clock.now(), period)


async def step_lateness(
    session: AsyncSession,
    organization_id: uuid.UUID,
    now: datetime,
    period: tuple[datetime, datetime] | None = None,
) -> Lateness:
    """:func:`quality_step_lateness` in the caller's session; no period: every step due by now
    (the partner scorecard's measure)."""
    query = (
        sa.select(
            sa.func.count(),
            sa.func.count().filter(is_late(QualityStep)),  # type: ignore[arg-type]
        )
        .select_from(QualityStep)
        .join(QualityCase, QualityCase.id == QualityStep.case_id)
        .where(
            QualityStep.organization_id == organization_id,
            QualityCase.status != QualityCaseStatus.CANCELLED,
            QualityStep.due_at < now,
        )
    )
    if period is not None:
        query = query.where(QualityStep.due_at >= period[0], QualityStep.due_at < period[1])
    row = (await session.execute(query)).one()
    return Lateness(due=int(row[0]), late=int(row[1]))


async def steps_waiting(
    session: AsyncSession, actor: Actor, *, limit: int = 50
) -> list[tuple[QualityCase, QualityStep]]:
    """Steps the partner owes on open cases, earliest due first (the home page's "waiting on you")."""
    rows = await session.execute(
        scope.restrict(
            sa.select(QualityCase, QualityStep)
            .join(QualityStep, QualityStep.case_id == QualityCase.id)
            .where(
                QualityCase.status == QualityCaseStatus.OPEN,
                QualityStep.status.in_([s.value for s in PARTNER_OWES]),
            ),
            actor,
            QualityCase,
            QualityStep,
        )
        .order_by(QualityStep.due_at, QualityStep.id)
        .limit(limit)
    )
    return [(case, step) for case, step in rows]


async def overdue_steps(
    session: AsyncSession, organization_id: uuid.UUID, now: datetime
) -> list[tuple[QualityCase, QualityStep]]:
    """Steps of the partner's open cases past their due time and still owed (a meeting's agenda)."""
    rows = await session.execute(
        sa.select(QualityCase, QualityStep)
        .join(QualityStep, QualityStep.case_id == QualityCase.id)
        .where(
            QualityCase.organization_id == organization_id,
            QualityCase.status == QualityCaseStatus.OPEN,
            QualityStep.status.in_([s.value for s in PARTNER_OWES]),
            QualityStep.due_at < now,
        )
        .order_by(QualityStep.due_at, QualityStep.id)
    )
    return [(case, step) for case, step in rows]
