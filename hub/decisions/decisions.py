"""Publishing a decision or guideline to teams or everyone, and each recipient's read and feedback.

The plan's promise: a decision reaches the front line within 24 hours and feedback comes back
within 3 business days. Each recipient gets a receipt with both due instants, computed once at
publication on the company's calendar in the SLA engine's units (``24h``, ``3bd``), so a later
calendar edit does not move a promise already made; a notification tells them, and their pages
show it until they confirm. :func:`lateness` counts who was late, for the dashboard to call.

A guideline is versioned: publishing with ``series_id`` adds the next version of that series (to
its own recipients, who confirm again); the earlier versions stay as they were read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from hub import notifications, permissions
from hub.actors import Actor
from hub.calendars import names
from hub.calendars import service as calendars
from hub.calendars.due import compute_due
from hub.calendars.durations import parse_duration
from hub.domain import STAFF_ROLES
from hub.errors import Forbidden, InvalidInput, NotFound
from hub.events.admin import SettingsChanged
from hub.models import Decision, DecisionReceipt, Team, User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hub.core import Hub

READ_WITHIN = "24h"
FEEDBACK_WITHIN = "3bd"
KINDS = ("decision", "guideline")
MAX_BODY = 20_000
MAX_FEEDBACK = 4_000


@dataclass(frozen=True)
class NewDecision:
    title: str
    body: str
    kind: str = "decision"
    #: The teams it goes to; empty: everyone on the staff.
    team_ids: tuple[uuid.UUID, ...] = ()
    #: A new version of this guideline series.
    series_id: uuid.UUID | None = None


def _check(new: NewDecision) -> tuple[str, str]:
    title, body = new.title.strip(), new.body.strip()
    if not title or len(title) > Decision.title.type.length:
        raise InvalidInput(detail=f"title: 1 to {Decision.title.type.length} characters")
    if not body or len(body) > MAX_BODY:
        raise InvalidInput(detail=f"body: 1 to {MAX_BODY} characters")
    if new.kind not in KINDS:
        raise InvalidInput(detail="kind: decision or guideline")
    return title, body


async def publish(hub: Hub, actor: Actor, new: NewDecision) -> Decision:
    permissions.require_supervisor(actor)
    title, body = _check(new)
    async with hub.uow() as uow:
        session = uow.session
        now = hub.clock.now()
        series_id, version = uuid.uuid4(), 1
        if new.series_id is not None:
            latest = await session.scalar(
                sa.select(Decision)
                .where(Decision.series_id == new.series_id)
                .order_by(Decision.version.desc())
                .limit(1)
                .with_for_update()
            )
            if latest is None:
                raise NotFound(what="decision")
            if latest.kind != "guideline" or new.kind != "guideline":
                raise InvalidInput(detail="only a guideline has versions")
            series_id, version = latest.series_id, latest.version + 1
        teams = list(dict.fromkeys(new.team_ids))
        if teams:
            known = set(await session.scalars(sa.select(Team.id).where(Team.id.in_(teams))))
            if missing := [str(t) for t in teams if t not in known]:
                raise InvalidInput(detail=f"team_ids: unknown team {', '.join(missing)}")
        calendar = await calendars.calendar_in(session, names.DEFAULT)
        read_due = compute_due(calendar, now, parse_duration(READ_WITHIN)).at
        feedback_due = compute_due(calendar, now, parse_duration(FEEDBACK_WITHIN)).at
        decision = Decision(
            id=uuid.uuid4(),
            kind=new.kind,
            series_id=series_id,
            version=version,
            title=title,
            body=body,
            team_ids=teams,
            published_by_id=actor.user_id,
            published_at=now,
            read_within=READ_WITHIN,
            feedback_within=FEEDBACK_WITHIN,
            calendar=calendar.name,
        )
        session.add(decision)
        recipients = sa.select(User.id).where(User.is_active, User.role.in_(list(STAFF_ROLES)))
        if teams:
            recipients = recipients.where(User.team_id.in_(teams))
        if actor.user_id is not None:
            recipients = recipients.where(User.id != actor.user_id)
        people = list(await session.scalars(recipients.order_by(User.id)))
        await session.flush()
        if people:
            await session.execute(
                sa.insert(DecisionReceipt),
                [
                    {
                        "decision_id": decision.id,
                        "user_id": p,
                        "read_due_at": read_due,
                        "feedback_due_at": feedback_due,
                    }
                    for p in people
                ],
            )
        notifications.tell(
            uow,
            notifications.rows_for(
                people,
                kind="decision_published",
                ticket_id=None,
                params={
                    "decision_id": str(decision.id),
                    "title": title,
                    "kind_word": f"decision_kind_{new.kind}",
                    "due_at": read_due.isoformat(),
                },
                now=now,
            ),
        )
        uow.emit(
            SettingsChanged.of(
                actor,
                "decision.published",
                decision.id,
                at=now,
                after={
                    "kind": new.kind,
                    "title": title,
                    "series_id": str(series_id),
                    "version": version,
                    "team_ids": [str(t) for t in teams],
                    "recipients": len(people),
                },
            )
        )
        await uow.commit()
        return decision


async def _receipt(session: AsyncSession, actor: Actor, decision_id: uuid.UUID) -> DecisionReceipt:
    if actor.user_id is None:
        raise Forbidden()
    receipt = await session.get(
        DecisionReceipt, {"decision_id": decision_id, "user_id": actor.user_id}, with_for_update=True
    )
    if receipt is None:
        raise NotFound(what="decision")
    return receipt


async def confirm_read(hub: Hub, actor: Actor, decision_id: uuid.UUID) -> DecisionReceipt:
    """The recipient read it; a second confirmation keeps the first time."""
    async with hub.uow() as uow:
        receipt = await _receipt(uow.session, actor, decision_id)
        if receipt.read_at is None:
            receipt.read_at = hub.clock.now()
            await uow.commit()
        return receipt


async def give_feedback(hub: Hub, actor: Actor, decision_id: uuid.UUID, text: str) -> DecisionReceipt:
    """The recipient's answer (reading it too). Amending it keeps the time it first came back."""
    text = text.strip()
    if not text or len(text) > MAX_FEEDBACK:
        raise InvalidInput(detail=f"feedback: 1 to {MAX_FEEDBACK} characters")
    async with hub.uow() as uow:
        receipt = await _receipt(uow.session, actor, decision_id)
        now = hub.clock.now()
        receipt.read_at = receipt.read_at or now
        receipt.feedback_at = receipt.feedback_at or now
        receipt.feedback = text
        await uow.commit()
        return receipt


@dataclass(frozen=True)
class Addressed:
    decision: Decision
    receipt: DecisionReceipt


async def mine(session: AsyncSession, user_id: uuid.UUID, *, unread_only: bool = False) -> list[Addressed]:
    """What was published to this user, newest first (the unread ones only, for the page banner)."""
    query = (
        sa.select(Decision, DecisionReceipt)
        .join(DecisionReceipt, DecisionReceipt.decision_id == Decision.id)
        .where(DecisionReceipt.user_id == user_id)
    )
    if unread_only:
        query = query.where(DecisionReceipt.read_at.is_(None))
    rows = await session.execute(query.order_by(Decision.published_at.desc()).limit(200))
    return [Addressed(d, r) for d, r in rows]


@dataclass(frozen=True)
class Tally:
    recipients: int = 0
    read: int = 0
    answered: int = 0
    read_late: int = 0
    feedback_late: int = 0


def _tally(receipts: list[DecisionReceipt], now: datetime) -> Tally:
    return Tally(
        recipients=len(receipts),
        read=sum(1 for r in receipts if r.read_at is not None),
        answered=sum(1 for r in receipts if r.feedback_at is not None),
        read_late=sum(1 for r in receipts if _late(r.read_at, r.read_due_at, now)),
        feedback_late=sum(1 for r in receipts if _late(r.feedback_at, r.feedback_due_at, now)),
    )


def _late(done: datetime | None, due: datetime, now: datetime) -> bool:
    return done > due if done is not None else now > due


@dataclass(frozen=True)
class Published:
    decision: Decision
    tally: Tally


async def published(session: AsyncSession, actor: Actor, *, now: datetime) -> list[Published]:
    """Every decision, newest first, with who read and answered (supervisors and admins)."""
    permissions.require_supervisor(actor)
    decisions = list(
        await session.scalars(sa.select(Decision).order_by(Decision.published_at.desc()).limit(500))
    )
    receipts: dict[uuid.UUID, list[DecisionReceipt]] = {d.id: [] for d in decisions}
    if decisions:
        for r in await session.scalars(
            sa.select(DecisionReceipt).where(DecisionReceipt.decision_id.in_(list(receipts)))
        ):
            receipts[r.decision_id].append(r)
    return [Published(d, _tally(receipts[d.id], now)) for d in decisions]


@dataclass(frozen=True)
class Recipient:
    user_id: uuid.UUID
    name: str
    team_id: uuid.UUID | None
    receipt: DecisionReceipt
    read_late: bool
    feedback_late: bool


@dataclass(frozen=True)
class Detail:
    decision: Decision
    tally: Tally
    recipients: list[Recipient] = field(default_factory=list)
    versions: list[Decision] = field(default_factory=list)
    #: The viewer's own receipt, when they are a recipient.
    mine: DecisionReceipt | None = None


async def detail(session: AsyncSession, actor: Actor, decision_id: uuid.UUID, *, now: datetime) -> Detail:
    """A recipient sees the decision and their receipt; a supervisor also sees everyone's."""
    permissions.require_staff(actor)
    decision = await session.get(Decision, decision_id)
    if decision is None:
        raise NotFound(what="decision")
    own = (
        await session.get(DecisionReceipt, {"decision_id": decision_id, "user_id": actor.user_id})
        if actor.user_id is not None
        else None
    )
    supervisor = actor.kind != "user" or (
        actor.role is not None and actor.role.value in ("supervisor", "admin")
    )
    if own is None and not supervisor:
        raise NotFound(what="decision")
    versions = list(
        await session.scalars(
            sa.select(Decision).where(Decision.series_id == decision.series_id).order_by(Decision.version)
        )
    )
    if not supervisor:
        return Detail(decision, Tally(), versions=versions, mine=own)
    rows = await session.execute(
        sa.select(DecisionReceipt, User.name, User.team_id)
        .join(User, User.id == DecisionReceipt.user_id)
        .where(DecisionReceipt.decision_id == decision_id)
        .order_by(User.name)
    )
    people = [
        Recipient(
            user_id=r.user_id,
            name=name,
            team_id=team_id,
            receipt=r,
            read_late=_late(r.read_at, r.read_due_at, now),
            feedback_late=_late(r.feedback_at, r.feedback_due_at, now),
        )
        for r, name, team_id in rows
    ]
    return Detail(decision, _tally([p.receipt for p in people], now), people, versions, own)


@dataclass(frozen=True)
class Lateness:
    """Receipts of the decisions published in a period: how many, and how many were (or are) late."""

    decisions: int
    recipients: int
    read_on_time: int
    read_late: int
    unread_overdue: int
    feedback_on_time: int
    feedback_late: int
    feedback_overdue: int


async def lateness(
    session: AsyncSession,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    team_id: uuid.UUID | None = None,
) -> Lateness:
    """For the supervisors' dashboard: the promise "read within 24 hours, answered within 3 business
    days" over the decisions published in ``[since, until)``, optionally for one team's people.
    "Late" is done after the due instant; "overdue" is not done and past it at ``now``."""
    r = DecisionReceipt
    published_in = sa.and_(Decision.published_at >= since, Decision.published_at < until)
    query = (
        sa.select(
            sa.func.count(sa.distinct(Decision.id)),
            sa.func.count(),
            sa.func.count().filter(r.read_at <= r.read_due_at),
            sa.func.count().filter(r.read_at > r.read_due_at),
            sa.func.count().filter(r.read_at.is_(None), r.read_due_at < now),
            sa.func.count().filter(r.feedback_at <= r.feedback_due_at),
            sa.func.count().filter(r.feedback_at > r.feedback_due_at),
            sa.func.count().filter(r.feedback_at.is_(None), r.feedback_due_at < now),
        )
        .select_from(r)
        .join(Decision, Decision.id == r.decision_id)
        .where(published_in)
    )
    if team_id is not None:
        query = query.join(User, User.id == r.user_id).where(User.team_id == team_id)
    row = (await session.execute(query)).one()
    return Lateness(*(int(v or 0) for v in row))
