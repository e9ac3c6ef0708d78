"""The clocks the ingest engine stores for the tickets a batch opens are what their event log gives.

The engine evaluates a new ticket's clocks from the batch's own decisions while its statements run
(no other transaction sees the ticket yet), instead of reading the log back; a rebuild from the log
(``hub sla recompute``) must find nothing to change: the organization's tier and calendar, calls
answered on the phone at their own instant, a callback that reached the client and one that did
not, all as the log says."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.actors import CLI
from hub.calendars import service as calendars
from hub.calendars.weekly import office_week
from hub.core import Hub
from hub.domain import ChannelKind, Tier
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.models import Organization, TicketSla
from hub.sla import policies as sla_policies
from hub.sla import service as sla
from hub.sla.policies import NewPolicy
from tests import factories
from tests.conftest import ManualClock
from tests.integration.sla_setup import desk

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _clock_rows(hub: Hub) -> dict[uuid.UUID, dict[str, object]]:
    async with hub.uow() as uow:
        rows = (await uow.session.scalars(sa.select(TicketSla))).all()
        return {
            row.ticket_id: {
                c.key: getattr(row, c.key) for c in TicketSla.__table__.columns if c.key != "updated_at"
            }
            for row in rows
        }


async def test_a_batch_s_new_tickets_get_the_clocks_their_log_gives(
    clocked_hub: Hub, clock: ManualClock
) -> None:
    hub = clocked_hub
    await sla_policies.create_policy(hub, CLI, NewPolicy(name="core", tier=Tier.CORE, first_response="30bm"))
    await calendars.create_calendar(
        hub, CLI, name="berlin-office", time_zone="Europe/Berlin", week=office_week("09:00-17:00"), base=None
    )
    core = await factories.organization(hub, tier=Tier.CORE, domains=["core.example"])
    async with hub.uow() as uow:
        await uow.session.execute(
            sa.update(Organization).where(Organization.id == core.id).values(calendar="berlin-office")
        )
        await uow.commit()
    d = await desk(hub)
    email, phone = d.channels[ChannelKind.EMAIL].id, d.channels[ChannelKind.PHONE].id
    now = clock.now()

    def message(channel: uuid.UUID, sender: str, **fields: object) -> InboundMessage:
        return InboundMessage(
            channel_id=channel,
            external_id=f"ext-{uuid.uuid4()}",
            sender=Sender(identity=sender),
            text="你好 / hello",
            **fields,  # type: ignore[arg-type]
        )

    def call(number: str, minutes_ago: int, **fields: object) -> InboundMessage:
        return message(
            phone,
            number,
            type="call",
            sent_at=now - timedelta(minutes=minutes_ago),
            at_sent_time=True,
            **fields,
        )

    batch = [
        message(email, "buyer@core.example"),
        message(email, "someone@else.example"),
        # Answered on the phone two minutes in: met at that instant, by the agent who answered.
        call(
            "13800000001",
            90,
            answered_at=now - timedelta(minutes=88),
            answered_by_user_id=d.agent.id,
        ),
        # A missed call, then the agent's callback that reached the client (met), ...
        call("13800000002", 60),
        call("13800000002", 58, direction="outbound", author_user_id=d.agent.id),
        # ... and a missed call whose callback reached nobody (still due).
        call("13800000003", 50),
        call("13800000003", 48, direction="outbound", author_user_id=d.agent.id, reached=False),
        message(d.channels[ChannelKind.WEBCHAT].id, "visitor-1"),
    ]
    outcomes = await ingest.ingest_many(hub, [(m, None) for m in batch])
    assert all(isinstance(o, IngestResult) for o in outcomes)
    opened = {o.ticket_id for o in outcomes if isinstance(o, IngestResult) and o.created_ticket}
    assert len(opened) == 6

    stored = await _clock_rows(hub)
    assert set(stored) == opened
    tickets = [o.ticket_id for o in outcomes if isinstance(o, IngestResult) and o.ticket_id]
    buyer, _, answered, missed, _, unreached, _, _ = (stored[t] for t in tickets)
    assert (buyer["policy_name"], buyer["calendar"]) == ("core", "berlin-office")
    assert answered["first_response_state"] == "met"
    assert answered["first_response_at"] == now - timedelta(minutes=88)
    assert missed["first_response_state"] == "met"
    assert unreached["first_response_state"] != "met"

    async with hub.uow() as uow:
        await uow.session.execute(sa.delete(TicketSla))
        await uow.commit()
    assert await sla.recompute(hub) == len(opened)
    assert await _clock_rows(hub) == stored
