"""One sweep for every promise with a due time: ticket SLA clocks, requirement feedback, hand-off
answers, and whatever kind comes next (callbacks of missed calls, quality steps, meeting actions).

Every kind keeps its promise rows with an indexed ``next_due_at``, most with a ``ticket_id`` (a
partner's date proposal has no ticket: its row alone is locked); the sweep does what they share,
once:

1. due rows, earliest first, locked ``FOR UPDATE SKIP LOCKED``, and their tickets locked ``FOR NO
   KEY UPDATE SKIP LOCKED`` (:mod:`.sweeping`): several workers split the work, a row whose ticket
   a use-case holds waits for the next run, and the sweep never waits on a use-case;
2. the kind says which alerts each row owes (warning, breach), and records the ones that fell due
   as events under a dedupe key unique per row: two processes that evaluated the same row record
   an alert once, and only the transaction whose insert landed tells anyone;
3. the kind says who hears of each recorded alert; their in-app notifications (and e-mail jobs)
   are written here;
4. the kind stores when each row is due next, and the batch commits.

The ticket clocks (:class:`hub.sla.sweep.TicketClocks`) are swept on a cron tick of
their own; every other kind joins :data:`hub.requirements.followup_sweep.FOLLOW_UPS`, swept together
on another tick, so the two never start on the same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from hub import notifications
from hub.core import Hub
from hub.sla.deadline import BREACHED
from hub.sla.sweeping import due_rows, lock_tickets
from hub.uow import UnitOfWork

R = TypeVar("R")
BATCH = 500


@dataclass(frozen=True)
class Owed(Generic[R]):
    """An alert a row owes: ``alert`` is WARNING or BREACHED, due at ``at``; ``detail`` is the kind's own."""

    row: R
    alert: str
    at: datetime
    detail: Any = None


@dataclass(frozen=True)
class Due(Generic[R]):
    """A locked row and every alert it still owes (fallen due or not), earliest first; ``state`` is
    what the kind worked out on the way and needs again to reschedule the row."""

    row: R
    alerts: list[Owed[R]]
    state: Any = None

    def split(self, now: datetime) -> tuple[list[Owed[R]], list[Owed[R]]]:
        """The alerts that fell due before ``now``, and the ones still ahead."""
        return [o for o in self.alerts if o.at < now], [o for o in self.alerts if o.at >= now]

    def next_due(self, now: datetime) -> datetime | None:
        return min((o.at for o in self.alerts if o.at >= now), default=None)


@dataclass
class Tally:
    """What one sweep of one kind did; ``extra`` holds a kind's own counts (escalations)."""

    rows: int = 0
    warnings: int = 0
    breaches: int = 0
    notified: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        self.rows += other.rows
        self.warnings += other.warnings
        self.breaches += other.breaches
        self.notified += other.notified
        for name, value in other.extra.items():
            self.extra[name] = self.extra.get(name, 0) + value


class DeadlineKind(Protocol[R]):
    """A kind of promise the sweep keeps. Every method runs inside the batch's transaction."""

    name: str
    #: The promise rows: mapped with ``next_due_at`` (indexed) and, when they belong to a ticket,
    #: ``ticket_id`` (the ticket is locked with the row).
    model: type[R]

    async def owed(self, uow: UnitOfWork, rows: Sequence[R], now: datetime) -> list[Due[R]]:
        """Per locked row, every alert it still owes."""
        ...

    async def record(self, uow: UnitOfWork, fired: Sequence[Owed[R]], now: datetime) -> list[Owed[R]]:
        """Record the fallen-due alerts as deduplicated events; the ones this transaction added."""
        ...

    async def tell(self, uow: UnitOfWork, recorded: Sequence[Owed[R]], now: datetime) -> list[dict[str, Any]]:
        """The notification rows (:func:`.notifications.rows_for`) for the recorded alerts."""
        ...

    async def reschedule(self, uow: UnitOfWork, due: Sequence[Due[R]], now: datetime, tally: Tally) -> None:
        """Store when each row is due next (the alerts still ahead), and anything else it owes."""
        ...


class RescheduledByNextAlert:
    """For kinds whose rows need nothing but their next due instant stored."""

    async def reschedule(self, uow: UnitOfWork, due: Sequence[Due[Any]], now: datetime, tally: Tally) -> None:
        for item in due:
            item.row.next_due_at = item.next_due(now)


async def sweep_once(hub: Hub, kind: DeadlineKind[Any], *, now: datetime, batch: int = BATCH) -> Tally:
    """One batch of ``kind``: see the module docstring for the four steps."""
    tally = Tally()
    async with hub.uow() as uow:
        rows = await due_rows(uow.session, kind.model, now, batch)
        if hasattr(kind.model, "ticket_id"):
            locked = await lock_tickets(uow.session, [row.ticket_id for row in rows])
            rows = [row for row in rows if row.ticket_id in locked]
        if not rows:
            return tally
        due = await kind.owed(uow, rows, now)
        fired = [alert for row in due for alert in row.split(now)[0]]
        recorded = await kind.record(uow, fired, now)
        for alert in recorded:
            if alert.alert == BREACHED:
                tally.breaches += 1
            else:
                tally.warnings += 1
        told = await kind.tell(uow, recorded, now)
        notifications.tell(uow, told)
        tally.notified = len(told)
        await kind.reschedule(uow, due, now, tally)
        tally.rows = len(rows)
        await uow.commit()
    return tally


async def sweep(
    hub: Hub, kind: DeadlineKind[Any], *, batch: int = BATCH, now: datetime | None = None
) -> Tally:
    """Every row of ``kind`` due now, batch after batch, until none is left for this process."""
    now = now or hub.clock.now()
    total = Tally()
    while True:
        tally = await sweep_once(hub, kind, now=now, batch=batch)
        if tally.rows == 0:
            return total
        total.add(tally)
