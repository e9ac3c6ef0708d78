"""The post-commit event bus: subscribers hear of committed changes only, in order, and once.

What a user relies on: an inbox is never told of a reply that rolled back, an audit line exists
exactly when its change does, and one broken subscriber (a playbook, a report projection) can
neither undo a change nor keep the others from hearing of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.domain import ChannelKind, TicketStatus
from hub.events import DomainEvent, TicketRef
from hub.events.bus import EventBus
from hub.events.subscribers import core_bus
from hub.models import AuditEvent, Ticket
from hub.ports import RealtimeEvent
from hub.tickets import events, tickets
from hub.uow import UnitOfWork
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Recorder:
    """A publisher and an after-commit subscriber that keep what they were given."""

    def __init__(self) -> None:
        self.live: list[RealtimeEvent] = []
        self.heard: list[DomainEvent] = []

    async def publish(self, updates: list[RealtimeEvent]) -> None:
        self.live.extend(updates)

    async def hear(self, hub: Hub, heard: Sequence[DomainEvent]) -> None:
        self.heard.extend(heard)


def rewired(hub: Hub, recorder: Recorder, first: Callable[[EventBus], None] = lambda bus: None) -> Hub:
    """The hub on a fresh core bus: ``first`` subscribes, then the recorder hears ticket events after
    commit, so a test can put a subscriber ahead of the one it listens with."""
    bus = core_bus()
    first(bus)
    bus.after_commit(events.TicketEvent, recorder.hear)
    return dataclasses.replace(hub, bus=bus)


@pytest.fixture
async def setup(hub: Hub):
    recorder = Recorder()
    observed = dataclasses.replace(rewired(hub, recorder), publisher=recorder)
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    ticket_id = (await factories.inbound(hub, mailbox.id)).ticket_id
    assert ticket_id is not None
    agent = await factories.user(hub)
    return observed, recorder, ticket_id, agent


async def _ref(uow: UnitOfWork, ticket_id) -> TicketRef:
    ticket = await uow.session.get(Ticket, ticket_id)
    assert ticket is not None
    return TicketRef.of(ticket)


async def test_a_use_case_is_heard_after_commit_with_its_audit_line_and_live_update(setup) -> None:
    hub, recorder, ticket_id, agent = setup

    await tickets.set_status(hub, factories.actor(agent), ticket_id, TicketStatus.PENDING)

    kinds = [type(event) for event in recorder.heard]
    assert kinds == [events.StatusChanged, events.TicketUpdated]
    assert [(u.name, u.data["status"], u.data["field"]) for u in recorder.live] == [
        ("ticket.updated", "pending", "status")
    ]
    trail = await factories.audit_trail(hub, ticket_id)
    assert [(line.action, line.before, line.after) for line in trail][-1] == (
        "ticket.status_changed",
        {"status": "new"},
        {"status": "pending"},
    )


async def test_nothing_is_heard_or_audited_when_the_unit_of_work_does_not_commit(setup) -> None:
    hub, recorder, ticket_id, agent = setup
    before = await factories.count(hub, AuditEvent)

    async with hub.uow() as uow:
        ref = await _ref(uow, ticket_id)
        uow.emit(
            events.StatusChanged(
                at=AT, ticket=ref, actor=factories.actor(agent), previous="new", status="open"
            )
        )
        # leaves without commit: an error path of a use case

    assert recorder.heard == []
    assert recorder.live == []
    assert await factories.count(hub, AuditEvent) == before


async def test_a_rolled_back_savepoint_takes_its_events_and_jobs_with_it(setup) -> None:
    hub, recorder, ticket_id, agent = setup
    actor = factories.actor(agent)

    async with hub.uow() as uow:
        ref = await _ref(uow, ticket_id)
        uow.emit(events.TicketUpdated(at=AT, ticket=ref, field="kept"))
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                uow.emit(events.StatusChanged(at=AT, ticket=ref, actor=actor, previous="new", status="open"))
                uow.enqueue("dropped_job")
                raise RuntimeError("the message this savepoint processed was bad")
        async with uow.savepoint():
            uow.emit(events.TicketUpdated(at=AT, ticket=ref, field="also kept"))
        await uow.commit()

    assert [getattr(event, "field", None) for event in recorder.heard] == ["kept", "also kept"]
    assert [u.data["field"] for u in recorder.live] == ["kept", "also kept"]
    trail = await factories.audit_trail(hub, ticket_id)
    assert "ticket.status_changed" not in [line.action for line in trail]


async def test_a_failing_subscriber_neither_undoes_the_change_nor_silences_the_others(setup) -> None:
    hub, recorder, ticket_id, agent = setup

    async def broken(_hub: Hub, _heard: Sequence[DomainEvent]) -> None:
        raise RuntimeError("a projection with a bug")

    hub = rewired(hub, recorder, lambda bus: bus.after_commit(DomainEvent, broken))

    await tickets.change_tags(hub, factories.actor(agent), ticket_id, add=["vip"], remove=[])

    assert [type(event) for event in recorder.heard] == [events.TagsChanged]
    assert (await factories.get(hub, Ticket, ticket_id)).tags == ["vip"]
    assert [line.action for line in await factories.audit_trail(hub, ticket_id)][-1] == "ticket.tags_changed"


async def test_before_commit_subscribers_write_in_the_same_transaction(setup) -> None:
    """A subscriber's rows and the change commit together: a failing one rolls the change back."""
    hub, recorder, ticket_id, agent = setup

    async def refuses(_uow: UnitOfWork, _heard: Sequence[DomainEvent]) -> None:
        raise RuntimeError("the audit store is full")

    hub = rewired(hub, recorder, lambda bus: bus.before_commit(DomainEvent, refuses))

    with pytest.raises(RuntimeError):
        await tickets.change_tags(hub, factories.actor(agent), ticket_id, add=["vip"], remove=[])

    assert recorder.heard == [], "nothing is announced for a change that did not commit"
    assert (await factories.get(hub, Ticket, ticket_id)).tags == []
    async with hub.uow() as uow:
        actions = await uow.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.subject_id == str(ticket_id))
        )
        assert "ticket.tags_changed" not in list(actions)
