"""`/api/v1/reports`: supervisors see every number, an agent only their own, a partner nothing."""

from __future__ import annotations

import io
import zipfile

import pytest

from hub.domain import ChannelKind, OrganizationKind, Role, TicketStatus
from hub.reporting import projection
from hub.tickets import tickets
from tests import factories
from tests.integration.sla_setup import desk, sh

pytestmark = pytest.mark.anyio

PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}


async def test_supervisors_see_all_agents_their_own_partners_nothing(client, clocked_hub, clock) -> None:
    hub = clocked_hub
    clock.at = sh("2026-03-04T10:00")
    d = await desk(hub)
    other = await factories.user(hub, Role.AGENT, team_id=d.team.id)
    supervisor = await factories.user(hub, Role.SUPERVISOR)
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    first = await d.message(hub, ChannelKind.WEBCHAT, sender="v1")
    second = await d.message(hub, ChannelKind.WEBCHAT, sender="v2")
    clock.advance(minutes=2)
    await tickets.reply(hub, factories.actor(d.agent), first, tickets.Draft(text="您好"))
    clock.advance(minutes=3)
    await tickets.reply(hub, factories.actor(other), second, tickets.Draft(text="您好"))
    await tickets.set_status(hub, factories.actor(other), second, TicketStatus.RESOLVED)
    await projection.drain(hub)  # what the worker's drain job does after these commits

    as_supervisor = await factories.login(client, supervisor)
    body = (
        await client.get("/api/v1/reports/summary", params={**PERIOD, "by": "agent"}, headers=as_supervisor)
    ).json()
    assert body["total"]["durations"]["first_response"]["n"] == 2
    assert body["total"]["durations"]["first_response"]["max"] == 300.0
    assert body["total"]["compliance"]["first_response"] == {
        "met": 1,
        "breached": 1,
        "active": 0,
        "percent": 50.0,
    }
    assert {g["label"] for g in body["groups"] if g["key"]} >= {d.agent.name, other.name}

    as_agent = await factories.login(client, d.agent)
    mine = (await client.get("/api/v1/reports/summary", params=PERIOD, headers=as_agent)).json()
    assert mine["total"]["durations"]["first_response"]["n"] == 1
    assert mine["total"]["durations"]["first_response"]["mean"] == 120.0
    rows = (
        await client.get(
            "/api/v1/reports/samples", params={**PERIOD, "metric": "first_response"}, headers=as_agent
        )
    ).json()
    assert [r["agent"] for r in rows] == [d.agent.email]
    assert rows[0]["start_message_id"] and rows[0]["end_message_id"] and rows[0]["calendar"] == "cn"

    refused = await client.get(
        "/api/v1/reports/summary", params=PERIOD, headers=await factories.login(client, partner)
    )
    assert refused.status_code == 403

    csv = await client.get(
        "/api/v1/reports/export.csv", params={**PERIOD, "samples": "true"}, headers=as_supervisor
    )
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in csv.headers["content-disposition"]
    xlsx = await client.get("/api/v1/reports/export.xlsx", params=PERIOD, headers=as_supervisor)
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        assert "xl/worksheets/sheet1.xml" in book.namelist()
        assert "business seconds" in book.read("xl/sharedStrings.xml").decode()

    number = (await client.get(f"/api/v1/tickets/{second}", headers=as_supervisor)).json()["number"]
    ticket = (await client.get(f"/api/v1/reports/tickets/{number}", headers=as_supervisor)).json()
    assert ticket["first_response"]["calendar_seconds"] == 300.0 and ticket["resolution_first"] is not None
    assert (await client.get("/api/v1/reports/tickets/nope", headers=as_supervisor)).status_code == 404
