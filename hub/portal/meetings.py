"""The weekly sync and the monthly review with each partner, as meeting series.

A series makes its meetings one after another: the first when the series is set up, the next when
one is published (or by the worker's tick, :func:`make_due_meetings`, for a meeting that passed
without minutes), a week or a calendar month after the one before. A new meeting's agenda is filled
from the partner's open work by :data:`AGENDA_SOURCES`, a list of functions, so another kind of
open work is one more entry: open action items, overdue 8D steps and late deliveries.

Minutes are the buyer's draft until published: the partner reads a meeting's date and agenda, and
its minutes only once published. Publishing turns the decisions into action items on the
partner's one list, each with its owner and due date, and tells the attendees. Attendees are staff
and the partner's own people: a partner never learns another partner's people exist.
"""

from __future__ import annotations

import calendar as month_lengths
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notifications, permissions, scope
from hub.actors import SYSTEM, Actor
from hub.core import Hub
from hub.domain import STAFF_ROLES, OrganizationKind, Role
from hub.errors import Conflict, InvalidInput, NotFound
from hub.models import (
    DeliverySchedule,
    Meeting,
    MeetingSeries,
    Organization,
    PortalOrder,
    PortalOrderLine,
    User,
)
from hub.portal import action_items, orders, quality
from hub.portal.record_events import PortalRecordChanged
from hub.portal.states import OrderStatus, ScheduleStatus
from hub.portal.terms import ActionItemSource, MeetingKind, MeetingStatus
from hub.uow import UnitOfWork

MAX_MINUTES = 50_000
MAX_TITLE = 200

#: An agenda entry: what to discuss, where it comes from, and the object it names.
AgendaItem = dict[str, Any]
AgendaSource = Callable[[AsyncSession, uuid.UUID, datetime], Awaitable[list[AgendaItem]]]


async def _open_action_items(
    session: AsyncSession, organization_id: uuid.UUID, now: datetime
) -> list[AgendaItem]:
    """Status of the actions from earlier meetings comes first (ISO 9001 review practice)."""
    return [
        {
            "title": item.title,
            "source": "action_item",
            "ref": str(item.id),
            "due_at": item.due_at.isoformat() if item.due_at else None,
        }
        for item in await action_items.open_items(session, organization_id)
    ]


async def _overdue_quality_steps(
    session: AsyncSession, organization_id: uuid.UUID, now: datetime
) -> list[AgendaItem]:
    return [
        {
            "title": f"{case.number} {case.title} · {step.discipline.value}",
            "source": "quality_step",
            "ref": str(case.id),
            "due_at": step.due_at.isoformat(),
        }
        for case, step in await quality.overdue_steps(session, organization_id, now)
    ]


async def _late_deliveries(
    session: AsyncSession, organization_id: uuid.UUID, now: datetime
) -> list[AgendaItem]:
    """Deliveries the ERP planned that are past due and short, and late lines with no such plan
    (their confirmed, else requested, date passed): what the partner owes, oldest first."""
    today = now.date()
    schedules = await session.execute(
        sa.select(DeliverySchedule, PortalOrderLine, PortalOrder)
        .join(PortalOrderLine, PortalOrderLine.id == DeliverySchedule.line_id)
        .join(PortalOrder, PortalOrder.id == PortalOrderLine.order_id)
        .where(
            DeliverySchedule.organization_id == organization_id,
            DeliverySchedule.status == ScheduleStatus.OPEN,
            DeliverySchedule.received_quantity < DeliverySchedule.quantity,
            DeliverySchedule.due_date < today,
            PortalOrder.status == OrderStatus.OPEN,
        )
        .order_by(DeliverySchedule.due_date, DeliverySchedule.id)
    )
    late: list[tuple[date, PortalOrder, PortalOrderLine, Decimal]] = []
    planned = set()
    for schedule, line, order in schedules:
        planned.add(line.id)
        late.append((schedule.due_date, order, line, schedule.quantity - schedule.received_quantity))
    for order, line in await orders.late_lines(session, SYSTEM, organization_id, today):
        if line.id not in planned:
            late.append((orders.due_of(line), order, line, line.quantity - line.delivered_quantity))
    return [
        {
            "title": f"{order.number} #{line.line_no} · {short.normalize():f} {line.unit} · {due.isoformat()}",
            "source": "late_delivery",
            "ref": str(order.id),
            "due_at": due.isoformat(),
        }
        for due, order, line, short in sorted(late, key=lambda entry: (entry[0], entry[1].number))
    ]


#: Where a new meeting's agenda comes from, in order.
AGENDA_SOURCES: list[AgendaSource] = [_open_action_items, _overdue_quality_steps, _late_deliveries]


async def agenda_for(session: AsyncSession, organization_id: uuid.UUID, now: datetime) -> list[AgendaItem]:
    found: list[AgendaItem] = []
    for source in AGENDA_SOURCES:
        found += await source(session, organization_id, now)
    return found


def following(kind: MeetingKind, after: datetime) -> datetime:
    """The next meeting of a series: a week later, or the same day of the next month (its last day
    when the month is shorter)."""
    if kind is MeetingKind.WEEKLY_SYNC:
        return after + timedelta(days=7)
    year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
    day = min(after.day, month_lengths.monthrange(year, month)[1])
    return after.replace(year=year, month=month, day=day)


def _title(series: MeetingSeries, at: datetime) -> str:
    return f"{series.title} {at.date().isoformat()}"


async def _make(uow: UnitOfWork, series: MeetingSeries, at: datetime) -> uuid.UUID | None:
    """The series' meeting at ``at`` with its agenda, once (a second worker's insert is dropped)."""
    now = uow.hub.clock.now()
    agenda = await agenda_for(uow.session, series.organization_id, now)
    made = await uow.session.scalar(
        insert(Meeting)
        .values(
            id=uuid.uuid4(),
            organization_id=series.organization_id,
            series_id=series.id,
            kind=series.kind,
            title=_title(series, at),
            scheduled_at=at,
            status=MeetingStatus.PLANNED,
            agenda=agenda,
            minutes="",
            attendee_ids=[],
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(Meeting.id)
    )
    return made


async def create_series(
    hub: Hub, actor: Actor, organization_id: uuid.UUID, *, kind: MeetingKind, title: str, starts_at: datetime
) -> MeetingSeries:
    """Set up a partner's weekly sync or monthly review; its first meeting is made with it."""
    permissions.require_staff(actor)
    name = title.strip()
    if not name or len(name) > MAX_TITLE:
        raise InvalidInput(detail=f"the title has 1 to {MAX_TITLE} characters")
    if starts_at.tzinfo is None:
        raise InvalidInput(detail="starts_at needs its time zone")
    async with hub.uow() as uow:
        organization = await uow.session.get(Organization, organization_id)
        if organization is None or organization.kind is not OrganizationKind.PARTNER:
            raise NotFound(what="organization")
        now = hub.clock.now()
        series = MeetingSeries(
            id=uuid.uuid4(), organization_id=organization.id, kind=kind, title=name, starts_at=starts_at
        )
        uow.session.add(series)
        await uow.session.flush()
        await _make(uow, series, starts_at)
        uow.emit(
            PortalRecordChanged(
                at=now,
                actor=actor,
                action="meeting_series.created",
                subject_type="meeting_series",
                subject_id=series.id,
                after={"kind": kind.value, "title": name, "starts_at": starts_at.isoformat()},
            )
        )
        await uow.commit()
        return series


async def _next_of(uow: UnitOfWork, meeting: Meeting) -> None:
    """After ``meeting``, its series' next one, unless the series already has a later one."""
    if meeting.series_id is None:
        return
    series = await uow.session.get(MeetingSeries, meeting.series_id)
    if series is None or not series.active:
        return
    later = await uow.session.scalar(
        sa.select(sa.func.count()).where(
            Meeting.series_id == series.id, Meeting.scheduled_at > meeting.scheduled_at
        )
    )
    if not later:
        await _make(uow, series, following(series.kind, meeting.scheduled_at))


async def make_due_meetings(hub: Hub) -> int:
    """The worker's tick: every active series whose latest meeting has passed gets its next one."""
    made = 0
    async with hub.uow() as uow:
        now = hub.clock.now()
        latest = (
            sa.select(Meeting.series_id, sa.func.max(Meeting.scheduled_at).label("at"))
            .group_by(Meeting.series_id)
            .subquery()
        )
        rows = await uow.session.execute(
            sa.select(MeetingSeries, latest.c.at)
            .join(latest, latest.c.series_id == MeetingSeries.id)
            .where(MeetingSeries.active, latest.c.at < now)
            .with_for_update(of=MeetingSeries, skip_locked=True)
        )
        for series, at in rows:
            upcoming = following(series.kind, at)
            while upcoming < now:  # a series left idle for weeks resumes at its next date
                upcoming = following(series.kind, upcoming)
            if await _make(uow, series, upcoming) is not None:
                made += 1
        await uow.commit()
    return made


async def _attendees(
    session: AsyncSession, organization_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    people = {u.id: u for u in await session.scalars(sa.select(User).where(User.id.in_(wanted)))}
    for person_id in wanted:
        person = people.get(person_id)
        ours = person is not None and (
            person.role in STAFF_ROLES
            or (person.role is Role.PARTNER and person.organization_id == organization_id)
        )
        if not ours:
            raise InvalidInput(detail="an attendee must be a member of the staff or of this partner")
    return wanted


async def _editable(uow: UnitOfWork, actor: Actor, meeting_id: uuid.UUID) -> Meeting:
    permissions.require_staff(actor)
    meeting = await scope.one(uow.session, actor, Meeting, meeting_id, lock=True)
    if meeting is None:
        raise NotFound(what="meeting")
    if meeting.status in (MeetingStatus.PUBLISHED, MeetingStatus.CANCELLED):
        raise Conflict(detail=f"the meeting is {meeting.status.value}: its minutes are final")
    return meeting


async def save_minutes(
    hub: Hub,
    actor: Actor,
    meeting_id: uuid.UUID,
    *,
    minutes: str,
    attendee_ids: Sequence[uuid.UUID] | None = None,
) -> Meeting:
    """The buyer's draft of the minutes (and who attended): the partner does not see it yet."""
    if len(minutes) > MAX_MINUTES:
        raise InvalidInput(detail=f"the minutes have at most {MAX_MINUTES} characters")
    async with hub.uow() as uow:
        meeting = await _editable(uow, actor, meeting_id)
        now = hub.clock.now()
        meeting.minutes = minutes.strip()
        if attendee_ids is not None:
            meeting.attendee_ids = await _attendees(uow.session, meeting.organization_id, attendee_ids)
        meeting.status = MeetingStatus.HELD
        meeting.updated_at = now
        uow.emit(
            PortalRecordChanged(
                at=now,
                actor=actor,
                action="meeting.minutes_saved",
                subject_type="meeting",
                subject_id=meeting.id,
                after={"minutes": meeting.minutes, "attendee_ids": [str(a) for a in meeting.attendee_ids]},
            )
        )
        await uow.commit()
        return meeting


@dataclass(frozen=True)
class Decision:
    """A decision taken at the meeting: it becomes an action item when the minutes are published."""

    title: str
    owner_user_id: uuid.UUID | None = None
    due_at: datetime | None = None


async def publish(
    hub: Hub, actor: Actor, meeting_id: uuid.UUID, decisions: Sequence[Decision] = ()
) -> Meeting:
    """The partner may read the minutes from now on; each decision is an action item on its list,
    the attendees are told, and the series' next meeting is made."""
    async with hub.uow() as uow:
        meeting = await _editable(uow, actor, meeting_id)
        if not meeting.minutes.strip():
            raise InvalidInput(detail="write the minutes before publishing them")
        now = hub.clock.now()
        meeting.status = MeetingStatus.PUBLISHED
        meeting.published_at = now
        meeting.published_by_id = actor.user_id
        meeting.updated_at = now
        items = [
            await action_items.add(
                uow,
                actor,
                meeting.organization_id,
                action_items.NewActionItem(
                    title=d.title,
                    owner_user_id=d.owner_user_id,
                    due_at=d.due_at,
                    source=ActionItemSource.MEETING,
                    meeting_id=meeting.id,
                ),
            )
            for d in decisions
        ]
        notifications.tell(
            uow,
            notifications.rows_for(
                [a for a in meeting.attendee_ids if a != actor.user_id],
                kind="meeting_published",
                ticket_id=None,
                params={"meeting": meeting.title, "number": ""},
                now=now,
            ),
        )
        await _next_of(uow, meeting)
        uow.emit(
            PortalRecordChanged(
                at=now,
                actor=actor,
                action="meeting.published",
                subject_type="meeting",
                subject_id=meeting.id,
                after={"minutes": meeting.minutes, "action_items": [str(i.id) for i in items]},
            )
        )
        await uow.commit()
        return meeting


async def list_meetings(
    session: AsyncSession, actor: Actor, *, organization_id: uuid.UUID | None = None, limit: int = 100
) -> list[Meeting]:
    """Latest first."""
    query = scope.select(actor, Meeting)
    if organization_id is not None:
        query = query.where(Meeting.organization_id == organization_id)
    rows = await session.scalars(query.order_by(Meeting.scheduled_at.desc(), Meeting.id).limit(limit))
    return list(rows)


async def get(session: AsyncSession, actor: Actor, meeting_id: uuid.UUID) -> Meeting:
    meeting = await scope.one(session, actor, Meeting, meeting_id)
    if meeting is None:
        raise NotFound(what="meeting")
    return meeting


def minutes_for(actor: Actor, meeting: Meeting) -> str | None:
    """The minutes as ``actor`` may read them: a partner only once published."""
    if actor.is_partner and meeting.published_at is None:
        return None
    return meeting.minutes


async def attendee_names(session: AsyncSession, actor: Actor, meeting: Meeting) -> list[str]:
    """The attendees ``actor`` may name: for a partner its own people (staff are the company)."""
    if not meeting.attendee_ids:
        return []
    rows = await session.scalars(
        scope.restrict(sa.select(User.name).where(User.id.in_(meeting.attendee_ids)), actor, User).order_by(
            User.name
        )
    )
    return list(rows)


async def series_of(session: AsyncSession, actor: Actor, organization_id: uuid.UUID) -> list[MeetingSeries]:
    rows = await session.scalars(
        scope.select(actor, MeetingSeries)
        .where(MeetingSeries.organization_id == organization_id)
        .order_by(MeetingSeries.created_at)
    )
    return list(rows)
