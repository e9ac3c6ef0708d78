"""`hub sla policies`, `hub sla recompute` and `hub sla sweep` as an operator runs them.

`hub sla policies` runs as the real executable; recompute and sweep, whose subject is the stored
clocks, run in this process (``invoke_cli``), with their own runtime and the real clock as in `hub`.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from hub.actors import CLI
from hub.domain import ChannelKind, TicketEventKind, Tier
from hub.models import Ticket, TicketEvent, TicketSla
from hub.sla import policies as sla_policies
from hub.sla.policies import NewPolicy
from tests import factories
from tests.integration.sla_setup import clocks, desk, local, sh

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_policies_are_listed_in_the_order_they_are_tried(run_cli, hub) -> None:
    await sla_policies.create_policy(
        hub,
        CLI,
        NewPolicy(name="core email", channel_kind=ChannelKind.EMAIL, tier=Tier.CORE, first_response="2bh"),
    )
    await sla_policies.create_policy(hub, CLI, NewPolicy(name="paused", resolution="5bd", is_active=False))
    result = await run_cli("sla", "policies")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "core email: channel_kind=email tier=core; first 2bh  next -  resolution -"
    assert "paused [inactive]: any ticket; first -  next -  resolution 5bd" in lines
    assert lines[-1] == "default [built-in]: any ticket; first 1bd  next 1bd  resolution -"
    listed = json.loads((await run_cli("sla", "policies", "--json")).out)
    assert [p["name"] for p in listed][:2] == ["core email", "paused"]
    webchat = next(p for p in listed if p["name"] == "default-webchat")
    assert webchat == {
        "id": None,
        "name": "default-webchat",
        "channel_kind": "webchat",
        "priority": None,
        "tier": None,
        "first_response": "3bm",
        "next_response": "3bm",
        "resolution": None,
        "position": 0,
        "active": True,
        "builtin": True,
    }


async def test_recompute_restores_lost_clocks_one_ticket_or_all(invoke_cli, clocked_hub, clock) -> None:
    clock.at = sh("2026-03-04T10:00")
    d = await desk(clocked_hub)
    first = await d.message(clocked_hub, ChannelKind.WEBCHAT, sender="a")
    second = await d.message(clocked_hub, ChannelKind.EMAIL, sender="b@example.com")
    async with clocked_hub.uow() as uow:
        await uow.session.execute(sa.delete(TicketSla))
        await uow.commit()
    number = (await factories.get(clocked_hub, Ticket, first)).number
    one = await invoke_cli("sla", "recompute", "--ticket", str(number))
    assert (one.code, one.out) == (0, "1 ticket recomputed\n")
    assert local((await clocks(clocked_hub, first)).first_response_due_at) == "2026-03-04T10:03:00"
    assert await factories.count(clocked_hub, TicketSla) == 1
    every = await invoke_cli("sla", "recompute")
    assert (every.code, every.out) == (0, "2 tickets recomputed\n")
    assert local((await clocks(clocked_hub, second)).first_response_due_at) == "2026-03-05T10:00:00"
    missing = await invoke_cli("sla", "recompute", "--ticket", "99999")
    assert missing.code == 1 and "not found" in missing.err


async def test_sweep_records_what_is_due_now(invoke_cli, clocked_hub, clock) -> None:
    clock.at = sh("2026-03-04T10:00")  # long before the real now: the ticket is overdue for the CLI
    d = await desk(clocked_hub)
    ticket_id = await d.message(clocked_hub, ChannelKind.WEBCHAT)
    result = await invoke_cli("sla", "sweep")
    assert (result.code, result.out) == (
        0,
        "1 ticket(s) swept: 0 warning(s), 1 breach(es), 0 escalation(s), 2 notification(s)\n"
        "0 requirement(s) and 0 hand-off(s) swept: 0 warning(s), 0 breach(es), 0 notification(s)\n",
    )
    again = await invoke_cli("sla", "sweep")
    assert again.out.startswith("0 ticket(s) swept")
    async with clocked_hub.uow() as uow:
        kinds = list(
            await uow.session.scalars(
                sa.select(TicketEvent.kind).where(
                    TicketEvent.ticket_id == ticket_id, TicketEvent.kind == TicketEventKind.SLA_BREACHED
                )
            )
        )
    assert kinds == [TicketEventKind.SLA_BREACHED]
