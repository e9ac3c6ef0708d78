"""A use case's lock on a ticket keeps other writers of the ticket out, not the rows that refer to it.

An agent's reply holds its ticket while it appends events, and those events queue the ticket for
the metric worker; the worker, having claimed the queue row, writes the ticket's samples, rows that
refer to the ticket. Under ``FOR UPDATE`` the samples' foreign-key check waited for the reply and
the reply's queueing waited for the worker: a deadlock, and the agent's reply failed with a 500
(seen under load in the scale-out test). Use cases lock ``FOR NO KEY UPDATE`` (``hub.db.ROW_LOCK``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from hub.core import Hub
from hub.domain import ChannelKind, TicketEventKind
from hub.models import Ticket, TicketEvent
from hub.tickets import tickets
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_a_held_ticket_still_takes_rows_that_refer_to_it_but_not_another_writer(hub: Hub) -> None:
    channel = await factories.channel(hub, ChannelKind.WEBCHAT)
    ticket_id = (await factories.inbound(hub, channel.id, sender="visitor-1")).ticket_id
    assert ticket_id is not None
    async with hub.uow() as holder:
        await tickets.load_for(holder.session, factories.actor_cli(), ticket_id, lock=True)

        async with hub.uow() as referrer:  # the metric worker's samples, an event, a message
            await referrer.session.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
            referrer.session.add(
                TicketEvent(
                    ticket_id=ticket_id,
                    kind=TicketEventKind.NOTE,
                    at=datetime(2026, 3, 2, tzinfo=UTC),
                    data={},
                )
            )
            await referrer.session.flush()  # does not wait for the holder

        async with hub.uow() as writer:  # a second use case on the same ticket waits its turn
            await writer.session.execute(sa.text("SET LOCAL lock_timeout = '100ms'"))
            with pytest.raises(DBAPIError, match="lock timeout"):
                await writer.session.execute(
                    sa.select(Ticket.id).where(Ticket.id == ticket_id).with_for_update(key_share=True)
                )
