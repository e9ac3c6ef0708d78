"""The core's own subscribers: the audit trail, staff notifications and live updates. Channels add
theirs at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hub import bulk, notifications
from hub.events.base import DomainEvent
from hub.events.bus import EventBus
from hub.models import AuditEvent

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.uow import UnitOfWork


_INSERT_AUDIT = bulk.insert_rows(
    AuditEvent.__table__,
    [
        "at",
        "actor_user_id",
        "actor_kind",
        "action",
        "subject_type",
        "subject_id",
        "before",
        "after",
        "reason",
    ],
)


async def write_audit(uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
    """One audit row per event that leaves one, in the transaction of the change, in the order the
    events were raised: one statement however many (an ingest batch raises hundreds)."""
    rows = [
        {
            "at": line.at,
            "actor_user_id": line.actor.user_id,
            "actor_kind": line.actor.kind,
            "action": line.action,
            "subject_type": line.subject_type,
            "subject_id": str(line.subject_id),
            "before": line.before,
            "after": line.after,
            "reason": line.reason,
        }
        for line in (event.audit() for event in events)
        if line is not None
    ]
    if rows:
        await _INSERT_AUDIT.execute(await uow.session.connection(), rows)


async def publish_live(hub: Hub, events: Sequence[DomainEvent]) -> None:
    """The inboxes' live updates, in the order the events were raised, in one publish."""
    updates = [update for update in (event.live() for event in events) if update is not None]
    if updates:
        await hub.publisher.publish(updates)


def core_bus() -> EventBus:
    bus = EventBus()
    bus.before_commit(DomainEvent, write_audit)
    bus.before_commit(notifications.PeopleTold, notifications.write)
    bus.after_commit(DomainEvent, publish_live)
    return bus
