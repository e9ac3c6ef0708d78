"""In-app notifications for staff, and their optional e-mail copy.

Rows carry a kind and parameters, never finished text: each reader sees them in their own
language and time zone. Who a team's lead is is decided here, once, for the SLA sweep and the
escalation ladder alike: the team's named lead (``teams.lead_id``) when it has an active one,
else the active supervisors of the team (so a team nobody configured still has someone to tell).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import notification_settings, realtime
from hub.calendars.durations import parse_duration
from hub.domain import Role
from hub.errors import InvalidInput, NotFound
from hub.events.base import DomainEvent
from hub.i18n import translate
from hub.models import Notification, Team, User
from hub.ports import RealtimeEvent

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.uow import UnitOfWork

log = logging.getLogger(__name__)

EMAIL_JOB = "email_notification"
MAX_PAGE = 200


async def team_leads(
    session: AsyncSession, team_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each team's lead: its named lead if active, else its active supervisors."""
    wanted = {t for t in team_ids if t is not None}
    found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if not wanted:
        return found
    named = await session.execute(
        sa.select(Team.id, User.id)
        .join(User, User.id == Team.lead_id)
        .where(Team.id.in_(wanted), User.is_active)
    )
    for team_id, user_id in named:
        found[team_id].append(user_id)
    rows = await session.execute(
        sa.select(User.team_id, User.id)
        .where(
            User.team_id.in_(wanted - set(found)),
            User.role == Role.SUPERVISOR,
            User.is_active,
        )
        .order_by(User.id)
    )
    for team, supervisor in rows:
        assert team is not None  # the IN filter leaves out users with no team
        found[team].append(supervisor)
    return found


def rows_for(
    user_ids: Iterable[uuid.UUID],
    *,
    kind: str,
    ticket_id: uuid.UUID | None,
    params: dict[str, Any],
    now: datetime,
) -> list[dict[str, Any]]:
    """One notification per distinct person (the assignee who is also a lead hears once).

    Plain rows, given to :func:`tell` and inserted together: a sweep tells thousands of people at once.
    """
    return [
        {
            "id": uuid.uuid4(),
            "user_id": u,
            "ticket_id": ticket_id,
            "kind": kind,
            "params": params,
            "created_at": now,
        }
        for u in dict.fromkeys(user_ids)
    ]


@dataclass(frozen=True, kw_only=True, slots=True)
class PeopleTold(DomainEvent):
    """Staff were told something: the rows of :func:`rows_for`. Written by a subscriber with the
    change that caused them (a rolled-back escalation tells nobody), with their e-mail copies
    queued after commit when a mailer is set."""

    rows: tuple[dict[str, Any], ...]

    def live(self) -> RealtimeEvent | None:
        """Each person told hears that they have news (the bell fetches it in their language)."""
        people = tuple(dict.fromkeys(realtime.person(row["user_id"]) for row in self.rows))
        return RealtimeEvent(name="notification.created", channels=people, data={}) if people else None


def tell(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    """The use case decides who is told; the bus writes it (:func:`write`)."""
    if rows:
        uow.emit(PeopleTold(at=uow.hub.clock.now(), rows=tuple(rows)))


async def write(uow: UnitOfWork, events: Sequence[PeopleTold]) -> None:
    """Subscribed before commit: every notification of the transaction in one statement."""
    rows = [row for event in events for row in event.rows]
    await uow.session.execute(sa.insert(Notification), rows)
    for function, notification_id in email_jobs(uow.hub, rows):
        uow.enqueue(function, notification_id, job_id=f"notify:{notification_id}")


def render(notification: Notification, locale: str, time_zone: str) -> str:
    """The notification's text in ``locale``, with instants shown in ``time_zone``."""
    params = dict(notification.params)
    if "target" in params:
        params["target"] = f"sla_{params['target']}"
    if params.get("due_at"):
        try:
            zone = ZoneInfo(time_zone)
        except (ValueError, KeyError):
            zone = ZoneInfo("Asia/Shanghai")
        params["due"] = datetime.fromisoformat(params["due_at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if "level" in params:
        params["audience"] = f"escalation_level_{params['level']}"
    if params.get("after"):
        params["why"] = translate(
            "escalation_unresolved", locale, after=duration_words(params["after"], locale)
        )
    elif "reason" in params:
        params["why"] = params["reason"] or ""
    return translate(f"notification_{notification.kind}", locale, **params)


def duration_words(spec: str, locale: str) -> str:
    """``3bd`` as people say it: "3 business days", "3 个工作日"."""
    try:
        parsed = parse_duration(spec)
    except InvalidInput:
        return spec
    unit = f"duration_{'b' if parsed.business else ''}{parsed.unit}"
    return translate(unit, locale, n=parsed.amount, s="" if parsed.amount == 1 else "s")


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    unread: int


async def list_for(
    session: AsyncSession, user_id: uuid.UUID, *, unread_only: bool = False, limit: int = 50
) -> NotificationPage:
    """The user's notifications, newest first, and how many are unread."""
    query = sa.select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    items = await session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id).limit(min(limit, MAX_PAGE))
    )
    unread = await session.scalar(
        sa.select(sa.func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return NotificationPage(items=list(items), unread=unread or 0)


async def mark_read(hub: Hub, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    """Mark one of the user's notifications read; anyone else's is "not found"."""
    async with hub.uow() as uow:
        row = await uow.session.scalar(
            sa.select(Notification)
            .where(Notification.id == notification_id, Notification.user_id == user_id)
            .with_for_update()
        )
        if row is None:
            raise NotFound(what="notification")
        if row.read_at is None:
            row.read_at = hub.clock.now()
            await uow.commit()
        return row


async def email(hub: Hub, notification_id: uuid.UUID) -> bool:
    """Send a notification's e-mail copy (the worker's job); False when there is nothing to send."""
    if hub.mailer is None:
        return False
    async with hub.uow() as uow:
        row = await uow.session.get(Notification, notification_id)
        user = await uow.session.get(User, row.user_id) if row is not None else None
        wanted = row is not None and await notification_settings.emails(uow.session, row.kind)
    if row is None or user is None or not user.is_active or not wanted:
        return False
    subject = translate("notification_subject", user.locale, number=row.params.get("number", ""))
    await hub.mailer.send_notification(
        to=user.email, subject=subject, text=render(row, user.locale, user.time_zone)
    )
    return True


def email_jobs(hub: Hub, rows: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(function, notification id)`` for the e-mail copies to queue: none while no mailer is set."""
    if hub.mailer is None:
        return []
    return [(EMAIL_JOB, str(row["id"])) for row in rows]
