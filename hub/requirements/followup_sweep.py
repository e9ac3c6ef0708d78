"""The promises that are not ticket clocks, as kinds of the deadline sweep
(:mod:`hub.sla.deadline_sweep`): requirement feedback and hand-off answers.

Each warning and breach is recorded once under a unique dedupe key (a requirement's in its own
event log, a hand-off's in its ticket's). A promise already kept (met late) gets its breach
recorded but tells nobody.

Who hears: a requirement's warning goes to its owner, its breach to the owner and the client's
account manager; a hand-off's warning to the liaison, its breach to the liaison, the requester
and the target team's lead.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert

from hub import notifications
from hub.core import Hub
from hub.domain import RequirementEventKind, RequirementStatus, TicketEventKind
from hub.models import Handoff, Requirement, RequirementEvent, Ticket, TicketEvent
from hub.playbooks.followups import FollowupDue
from hub.portal.proposal_sweep import DateProposalAnswer
from hub.portal.quality_sweep import QualityStepDue
from hub.requirements.requirements import account_manager, excerpt
from hub.sla import deadline_sweep
from hub.sla.deadline import BREACHED, WARNING, Deadline
from hub.sla.deadline_sweep import BATCH, DeadlineKind, Due, Owed, RescheduledByNextAlert
from hub.sla.targets import ClockStatus
from hub.uow import UnitOfWork

_REQUIREMENT_KINDS = {
    WARNING: RequirementEventKind.FEEDBACK_WARNING,
    BREACHED: RequirementEventKind.FEEDBACK_BREACHED,
}
_HANDOFF_KINDS = {WARNING: TicketEventKind.HANDOFF_WARNING, BREACHED: TicketEventKind.HANDOFF_BREACHED}


@dataclass
class FollowupResult:
    """Rows swept per kind name, and the alerts and notifications of all of them."""

    rows: dict[str, int] = field(default_factory=dict)
    warnings: int = 0
    breaches: int = 0
    notified: int = 0

    @property
    def requirements(self) -> int:
        return self.rows.get(RequirementFeedback.name, 0)

    @property
    def handoffs(self) -> int:
        return self.rows.get(HandoffAnswer.name, 0)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


async def _tickets(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str]]:
    """Number and subject of each ticket, for the notifications."""
    rows = await uow.session.execute(
        sa.select(Ticket.id, Ticket.number, Ticket.subject).where(Ticket.id.in_(ids))
    )
    return {row.id: (row.number, row.subject) for row in rows}


class _OneDueInstant(RescheduledByNextAlert):
    """What the two kinds share: an alert is recorded by one insert that a dedupe key makes land
    once, and a breach recorded before the promise was kept marks the row breached."""

    def alert_row(self, owed: Owed[Any], now: datetime) -> ReturningInsert[int]:
        """The event row of this alert, ``ON CONFLICT DO NOTHING RETURNING id``."""
        raise NotImplementedError

    def kept(self, row: Any) -> bool:
        raise NotImplementedError

    def mark_breached(self, row: Any) -> None:
        raise NotImplementedError

    async def record(self, uow: UnitOfWork, fired: Sequence[Owed[Any]], now: datetime) -> list[Owed[Any]]:
        added = []
        for owed in fired:
            if await uow.session.scalar(self.alert_row(owed, now)) is None:
                continue  # recorded already, by an earlier sweep or another worker
            if owed.alert == BREACHED and not self.kept(owed.row):
                self.mark_breached(owed.row)
            added.append(owed)
        return added


class RequirementFeedback(_OneDueInstant):
    """A client requirement's feedback promise (``3bd``): warned to its owner, a breach also to the
    client's account manager."""

    name = "requirement_feedback"
    model = Requirement

    async def owed(
        self, uow: UnitOfWork, rows: Sequence[Requirement], now: datetime
    ) -> list[Due[Requirement]]:
        recorded: dict[uuid.UUID, set[str]] = defaultdict(set)
        keys = await uow.session.execute(
            sa.select(RequirementEvent.requirement_id, RequirementEvent.dedupe_key).where(
                RequirementEvent.requirement_id.in_([r.id for r in rows]),
                RequirementEvent.dedupe_key.is_not(None),
            )
        )
        for requirement_id, key in keys:
            assert key is not None  # selected by dedupe_key IS NOT NULL
            recorded[requirement_id].add(key)
        found = []
        for row in rows:
            if row.feedback_state is ClockStatus.VOID:
                found.append(Due(row, []))
                continue
            alerts = Deadline(row.feedback_due_at, row.feedback_warn_at).owed(
                met_at=row.feedback_at,
                recorded={a for a, k in _REQUIREMENT_KINDS.items() if k.value in recorded[row.id]},
            )
            found.append(Due(row, [Owed(row, alert, at) for alert, at in alerts]))
        return found

    def alert_row(self, owed: Owed[Requirement], now: datetime) -> ReturningInsert[int]:
        row, kind = owed.row, _REQUIREMENT_KINDS[owed.alert]
        return (
            insert(RequirementEvent)
            .values(
                requirement_id=row.id,
                kind=kind,
                at=now,
                dedupe_key=kind.value,
                data={"due_at": _iso(owed.at), "feedback_due_at": _iso(row.feedback_due_at)},
            )
            .on_conflict_do_nothing()
            .returning(RequirementEvent.id)
        )

    def kept(self, row: Requirement) -> bool:
        return row.feedback_at is not None

    def mark_breached(self, row: Requirement) -> None:
        row.feedback_state = ClockStatus.BREACHED

    async def tell(
        self, uow: UnitOfWork, recorded: Sequence[Owed[Requirement]], now: datetime
    ) -> list[dict[str, Any]]:
        live = [
            o
            for o in recorded
            if o.row.feedback_at is None and o.row.status is not RequirementStatus.CANCELLED
        ]
        if not live:
            return []  # kept late, or called off: recorded, nothing left to act on
        tickets = await _tickets(uow, {o.row.ticket_id for o in live})
        told: list[dict[str, Any]] = []
        for owed in live:
            row = owed.row
            people = [row.owner_id]
            if owed.alert == BREACHED:
                people.append(await account_manager(uow.session, row.organization_id))
            number, _ = tickets[row.ticket_id]
            told += notifications.rows_for(
                [p for p in people if p is not None],
                kind=f"requirement_feedback_{owed.alert}",
                ticket_id=row.ticket_id,
                params={
                    "number": number,
                    "requirement_id": str(row.id),
                    "requirement": excerpt(row.content),
                    "due_at": _iso(row.feedback_due_at),
                },
                now=now,
            )
        return told


class HandoffAnswer(_OneDueInstant):
    """A liaison's answer to a hand-off (``2bh``): warned to the liaison, a breach also to the
    requester and the target team's lead."""

    name = "handoff_answer"
    model = Handoff

    async def owed(self, uow: UnitOfWork, rows: Sequence[Handoff], now: datetime) -> list[Due[Handoff]]:
        wanted = [f"{kind.value}:{h.id}" for h in rows for kind in _HANDOFF_KINDS.values()]
        recorded = set(
            await uow.session.scalars(
                sa.select(TicketEvent.dedupe_key).where(
                    TicketEvent.ticket_id.in_({h.ticket_id for h in rows}), TicketEvent.dedupe_key.in_(wanted)
                )
            )
        )
        found = []
        for row in rows:
            alerts = Deadline(row.due_at, row.warn_at).owed(
                met_at=row.answered_at,
                recorded={a for a, k in _HANDOFF_KINDS.items() if f"{k.value}:{row.id}" in recorded},
            )
            found.append(Due(row, [Owed(row, alert, at) for alert, at in alerts]))
        return found

    def alert_row(self, owed: Owed[Handoff], now: datetime) -> ReturningInsert[int]:
        row, kind = owed.row, _HANDOFF_KINDS[owed.alert]
        return (
            insert(TicketEvent)
            .values(
                ticket_id=row.ticket_id,
                kind=kind,
                at=now,
                dedupe_key=f"{kind.value}:{row.id}",
                data={
                    "handoff_id": str(row.id),
                    "to_team_id": str(row.to_team_id) if row.to_team_id else None,
                    "liaison_id": str(row.liaison_id) if row.liaison_id else None,
                    "due_at": _iso(row.due_at),
                    "answered_at": _iso(row.answered_at) if row.answered_at else None,
                },
            )
            .on_conflict_do_nothing()
            .returning(TicketEvent.id)
        )

    def kept(self, row: Handoff) -> bool:
        return row.answered_at is not None

    def mark_breached(self, row: Handoff) -> None:
        row.state = ClockStatus.BREACHED

    async def tell(
        self, uow: UnitOfWork, recorded: Sequence[Owed[Handoff]], now: datetime
    ) -> list[dict[str, Any]]:
        live = [o for o in recorded if o.row.answered_at is None]
        if not live:
            return []
        tickets = await _tickets(uow, {o.row.ticket_id for o in live})
        leads = await notifications.team_leads(uow.session, {o.row.to_team_id for o in live})
        told: list[dict[str, Any]] = []
        for owed in live:
            row = owed.row
            people = [row.liaison_id]
            if owed.alert == BREACHED:
                people += (
                    [row.from_user_id, *leads.get(row.to_team_id, [])]
                    if row.to_team_id
                    else [row.from_user_id]
                )
            number, subject = tickets[row.ticket_id]
            told += notifications.rows_for(
                [p for p in people if p is not None],
                kind=f"handoff_{owed.alert}",
                ticket_id=row.ticket_id,
                params={
                    "number": number,
                    "subject": subject,
                    "handoff_id": str(row.id),
                    "due_at": _iso(row.due_at),
                },
                now=now,
            )
        return told


#: Every promise kind swept on the follow-up tick. A new kind (a missed call's callback, a partner's
#: quality step, a meeting's action items) implements :class:`.deadline_sweep.DeadlineKind` and is
#: added here; the worker's cron and ``hub sla sweep`` then keep it.
FOLLOW_UPS: tuple[DeadlineKind[Any], ...] = (
    RequirementFeedback(),
    HandoffAnswer(),
    QualityStepDue(),
    DateProposalAnswer(),
    FollowupDue(),
)


async def sweep(hub: Hub, *, batch_size: int = BATCH) -> FollowupResult:
    """Sweep every kind of :data:`FOLLOW_UPS` due now, batch after batch."""
    now = hub.clock.now()
    total = FollowupResult()
    for kind in FOLLOW_UPS:
        tally = await deadline_sweep.sweep(hub, kind, batch=batch_size, now=now)
        total.rows[kind.name] = tally.rows
        total.warnings += tally.warnings
        total.breaches += tally.breaches
        total.notified += tally.notified
    return total
