"""The dashboard's queries: each promise's counts are the samples its links list, the promises
kept outside tickets count by their due instant, the live lists follow the SLA clocks, and the slow
links' three tables add up to the same time."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from hub.actors import CLI
from hub.domain import ChannelKind, Role, TicketStatus
from hub.portal import orders
from hub.reporting import dashboard, projection, slow_links
from hub.reporting.reports import Filters
from hub.requirements import handoffs
from hub.tickets import tickets
from tests import factories
from tests.integration.sla_setup import desk, sh
from tests.portal import helpers
from tests.portal.orders import work

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31))


async def test_each_number_is_the_count_of_the_samples_it_links_to(clocked_hub, clock) -> None:
    hub = clocked_hub
    clock.at = sh("2026-03-04T10:00")
    d = await desk(hub)
    liaison = await factories.user(hub, Role.AGENT)
    liaisons = await factories.team(hub, liaison_id=liaison.id)
    quick = await d.message(hub, ChannelKind.WEBCHAT, sender="v1")
    slow = await d.message(hub, ChannelKind.WEBCHAT, sender="v2")
    mail = await d.message(hub, ChannelKind.EMAIL, sender="li@client.example")
    clock.advance(minutes=1)
    await tickets.reply(hub, factories.actor(d.agent), quick, tickets.Draft(text="您好"))
    asked = await handoffs.request(hub, factories.actor(d.agent), mail, team_id=liaisons.id, note="发票")
    clock.advance(minutes=9)
    await tickets.reply(hub, factories.actor(d.agent), slow, tickets.Draft(text="久等了"))
    await tickets.set_status(hub, factories.actor(d.agent), slow, TicketStatus.PENDING)
    clock.advance(hours=1)
    await handoffs.answer(hub, factories.actor(liaison), asked.id, text="已开")
    waiting = await d.message(hub, ChannelKind.WEBCHAT, sender="v3")
    clock.advance(minutes=1)
    now = clock.at
    await projection.drain(hub)  # what the worker does every second

    async with hub.uow() as uow:
        rows, report = await dashboard.promises(uow.session, CLI, MARCH, SHANGHAI, now)
        counts = {r.promise.key: r.now for r in rows}
        # The last chat is still waiting: past its due instant as of the database's own clock (the
        # reports read an active instance past due as breached, docs/metrics.md), not the test's.
        assert counts["chat_response"] == dashboard.Count(met=1, breached=2, active=0)
        assert counts["liaison"] == dashboard.Count(met=1, breached=0, active=0)
        for row in rows:
            if row.promise.source != "samples":
                continue
            for outcome in dashboard.OUTCOMES:
                _, total = await dashboard.drill(
                    uow.session, CLI, MARCH, promise=row.promise.key, outcome=outcome
                )
                assert total == getattr(row.now, outcome), (row.promise.key, outcome)
        _, responses = await dashboard.drill(uow.session, CLI, MARCH, metric="first_response")
        assert responses == report["total"]["durations"]["first_response"]["n"] == 2

        # The SLA lists follow the clocks: the last chat falls due within the hour, then breaches.
        soon, late, soon_count, _ = await dashboard.sla_lists(uow.session, CLI, MARCH, now)
        assert [t.id for t in soon] == [waiting] and soon_count == 1
        assert waiting not in [t.id for t in late]
        _, late, _, late_count = await dashboard.sla_lists(uow.session, CLI, MARCH, sh("2026-03-04T11:30"))
        assert waiting in [t.id for t in late] and slow in [t.id for t in late]
        assert late_count == len(late)
        assert await dashboard.backlog(uow.session, CLI, MARCH) == {
            "new": 2,
            "open": 1,
            "pending": 1,
            "total": 4,
        }
        agent = factories.actor(d.agent)
        assert (await dashboard.backlog(uow.session, agent, MARCH))["total"] == 4, "all four are theirs"

        found = await slow_links.slow_links(uow.session, CLI, MARCH, now)
        stages = {r.stage: r for r in found.stages}
        assert stages["pickup"].n == 2 and stages["department"].n == 1
        assert stages["department"].seconds == pytest.approx(69 * 60), "asked at 10:01, answered at 11:10"
        assert found.stages[0].seconds >= found.stages[-1].seconds, "longest first"
        for table in (found.by_channel, found.by_team):
            assert sum(r.seconds for r in table) == pytest.approx(found.total)
            assert sum(r.n for r in table) == sum(r.n for r in found.stages)

    # An agent's own view: the breach they answered late is theirs, nobody else's.
    async with hub.uow() as uow:
        other = factories.actor(await factories.user(hub, Role.AGENT, team_id=d.team.id))
        theirs, _ = await dashboard.promises(uow.session, other, MARCH, SHANGHAI, now)
        assert next(r for r in theirs if r.promise.key == "chat_response").now == dashboard.Count()
        mine, _ = await dashboard.promises(uow.session, factories.actor(d.agent), MARCH, SHANGHAI, now)
        assert next(r for r in mine if r.promise.key == "chat_response").now == dashboard.Count(1, 2, 0)


async def test_partners_date_proposals_count_on_their_due_instant(clocked_hub, clock) -> None:
    hub = clocked_hub
    clock.at = sh("2026-03-04T10:00")
    who = await helpers.partner(hub)
    decided = await work(hub, who.clerk)
    await work(hub, who.clerk)
    await orders.decide_proposal(hub, who.manager_actor, decided.proposal_id, accept=True)
    async with hub.uow() as uow:
        found = await dashboard.other_counts(uow.session, MARCH, SHANGHAI, clock.at)
        assert found["proposals"] == dashboard.Count(met=1, breached=0, active=1)
        later = await dashboard.other_counts(uow.session, MARCH, SHANGHAI, sh("2026-03-06T10:00"))
        assert later["proposals"] == dashboard.Count(met=1, breached=1, active=0)
        elsewhere = await dashboard.other_counts(
            uow.session, Filters(MARCH.start, MARCH.end, organization_id=who.manager.id), SHANGHAI, clock.at
        )
        assert elsewhere["proposals"] == dashboard.Count(), "another organisation's are not counted"
        assert (
            await dashboard.other_counts(
                uow.session, Filters(MARCH.start, MARCH.end, channel="webchat"), SHANGHAI, clock.at
            )
            == {}
        ), "a proposal has no channel: under a channel filter it is left out, not shown unfiltered"
        april = Filters(date(2026, 4, 1), date(2026, 4, 30))
        assert (await dashboard.other_counts(uow.session, april, SHANGHAI, clock.at))[
            "proposals"
        ] == dashboard.Count()
