"""A partner's date proposal left undecided: the manager on duty is warned before its ``2bh`` due
instant and told once it passes, each once; the breach shows on the scorecard, and a proposal
decided late counts as late without telling anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.accounts import accounts
from hub.actors import CLI
from hub.domain import OrganizationKind, Presence, Role
from hub.models import DateProposal, Notification
from hub.portal import orders, scorecard
from hub.requirements import followup_sweep
from tests import factories
from tests.portal import orders as portal

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _told(hub, kind: str) -> list[Notification]:
    async with hub.session_factory() as session:
        return list(await session.scalars(sa.select(Notification).where(Notification.kind == kind)))


async def _proposal(hub, proposal_id) -> DateProposal:
    async with hub.session_factory() as session:
        row = await session.get(DateProposal, proposal_id)
        assert row is not None
        return row


async def test_an_undecided_proposal_warns_then_breaches_once_and_counts_late(clocked_hub, clock) -> None:
    hub = clocked_hub
    manager = await factories.user(hub, Role.AGENT)
    backup = await factories.user(hub, Role.AGENT)
    org = await factories.organization(
        hub, kind=OrganizationKind.PARTNER, manager=manager.id, backup=backup.id
    )
    partner = factories.actor(await factories.user(hub, Role.PARTNER, organization_id=org.id))
    order_id, _, _ = await portal.erp_order(hub, org.id)
    line = await portal.line(hub, order_id, 1)
    made = await orders.propose_date(
        hub, partner, order_id, 1, proposed_date=line.requested_date + timedelta(days=4)
    )
    assert made.warn_at is not None and made.created_at < made.warn_at < made.due_at
    assert made.next_due_at == made.warn_at

    assert (await followup_sweep.sweep(hub)).rows.get("date_proposal", 0) == 0  # nothing due yet
    clock.at = made.warn_at + timedelta(seconds=1)
    warned = await followup_sweep.sweep(hub)
    assert (warned.rows["date_proposal"], warned.warnings, warned.breaches) == (1, 1, 0)
    assert [n.user_id for n in await _told(hub, "date_proposal_warning")] == [manager.id]
    assert (await _proposal(hub, made.id)).next_due_at == made.due_at

    await accounts.set_presence(hub, CLI, manager.id, Presence.AWAY)  # the backup hears the breach
    clock.at = made.due_at + timedelta(minutes=1)
    breached = await followup_sweep.sweep(hub)
    assert (breached.warnings, breached.breaches) == (0, 1)
    assert (await followup_sweep.sweep(hub)).rows.get("date_proposal", 0) == 0, "recorded once"
    told = await _told(hub, "date_proposal_breached")
    assert [n.user_id for n in told] == [backup.id] and told[0].params["order"]
    row = await _proposal(hub, made.id)
    assert row.breached_at == clock.at and row.next_due_at is None and row.warned_at is not None

    queue = await orders.list_proposals(hub, factories.actor(manager))
    assert [p.breached_at for p, _, _ in queue] == [row.breached_at]
    late = {m.name: (m.value, m.count) for m in await scorecard.scorecard(hub, CLI, org.id)}
    assert late["late_proposals"] == (100.0, 1)

    # Decided after its due instant: still late, now on the answer-time measures too.
    await orders.decide_proposal(hub, factories.actor(manager), made.id, accept=True)
    measures = {m.name: (m.value, m.count) for m in await scorecard.scorecard(hub, CLI, org.id)}
    assert measures["late_proposals"] == (100.0, 1)
    assert measures["proposals_answered_in_time"] == (0.0, 1)


async def test_a_proposal_decided_in_time_owes_nothing(clocked_hub, clock) -> None:
    hub = clocked_hub
    manager = await factories.user(hub, Role.AGENT)
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, manager=manager.id)
    partner = factories.actor(await factories.user(hub, Role.PARTNER, organization_id=org.id))
    order_id, _, _ = await portal.erp_order(hub, org.id)
    line = await portal.line(hub, order_id, 2)
    made = await orders.propose_date(
        hub, partner, order_id, 2, proposed_date=line.requested_date + timedelta(days=1)
    )
    await orders.decide_proposal(hub, factories.actor(manager), made.id, accept=False, comment="no")
    clock.at = made.due_at + timedelta(hours=1)
    swept = await followup_sweep.sweep(hub)
    assert (swept.rows["date_proposal"], swept.warnings, swept.breaches) == (1, 0, 0)
    row = await _proposal(hub, made.id)
    assert row.next_due_at is None and row.breached_at is None and row.warned_at is None
    assert await _told(hub, "date_proposal_warning") == []
    measures = {m.name: (m.value, m.count) for m in await scorecard.scorecard(hub, CLI, org.id)}
    assert measures["late_proposals"] == (0.0, 1)
