"""Calls as the pages show them: the call card on the ticket page (direction, numbers, agent,
queue, times, wait and talk, the outcome in the viewer's language, the recording played when it is
http(s) and otherwise shown as text) and the inbox's callbacks due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient

from channels.phone import lines
from channels.phone.calls import to_message
from channels.phone.records import CallRecord, Disposition
from hub.core import Hub
from hub.domain import ChannelKind, Role
from hub.intake import ingest
from hub.models import TicketSla
from hub.sla.targets import ClockStatus
from tests import factories
from tests.web.helpers import login

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def _call(
    hub: Hub, line: lines.Line, call_id: str, caller: str, disposition: Disposition, **fields: object
):
    record = CallRecord(
        call_id=call_id,
        caller=caller,
        callee="4008001234",
        started_at=START,
        answered_at=START + timedelta(seconds=15) if disposition is Disposition.answered else None,
        ended_at=START + timedelta(minutes=2),
        disposition=disposition,
        **fields,  # type: ignore[arg-type]
    )
    message, _ = to_message(record, line)
    return await ingest.ingest(hub, message)


async def test_a_call_on_the_ticket_page_and_the_callbacks_due(client: AsyncTestClient, hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    channel = await factories.channel(hub, ChannelKind.PHONE, numbers=["4008001234"])
    line = await lines.load(hub, channel.id)
    answered = await _call(
        hub,
        line,
        "pbx-1",
        "13812345678",
        Disposition.answered,
        queue="售后",
        caller_name="<b>王</b>",
        recording_url="https://pbx.example/rec/1.wav",
    )
    missed = await _call(
        hub, line, "pbx-2", "not-a-number", Disposition.no_answer, recording_url="/var/spool/asterisk/2.wav"
    )
    headers = await login(client, agent.email)

    page = (await client.get(f"/tickets/{answered.ticket_id}", headers=headers)).text
    assert 'data-call="inbound"' in page and 'data-disposition="answered"' in page
    assert "+8613812345678" in page and "售后" in page and "&lt;b&gt;王&lt;/b&gt;" in page
    assert '<audio controls preload="none" src="https://pbx.example/rec/1.wav">' in page
    assert "<dd data-wait>0:15</dd>" in page and "<dd data-talk>1:45</dd>" in page
    assert "已接通" in page or "Answered" in page

    page = (await client.get(f"/tickets/{missed.ticket_id}", headers=headers)).text
    assert "<audio" not in page and "<code>/var/spool/asterisk/2.wav</code>" in page
    assert "data-unreadable" in page and "not-a-number" in page

    due = (await client.get("/?view=callbacks", headers=headers)).text
    assert f'data-id="{missed.ticket_id}"' in due and f'data-id="{answered.ticket_id}"' not in due
    assert "tag--callback" in due
    api = (await client.get("/api/v1/tickets", params={"callback": "true"}, headers=headers)).json()
    assert [t["id"] for t in api["items"]] == [str(missed.ticket_id)]


async def test_an_agent_logs_a_call_by_hand(client: AsyncTestClient, hub: Hub) -> None:
    """On any ticket (here an e-mail one), at the call's own time, read by the clocks as a PBX's call."""
    agent = await factories.user(hub, Role.AGENT)
    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    written = await factories.inbound(
        hub,
        mailbox.id,
        sender="chen@client.example",
        text="请回电",
        sent_at=START - timedelta(minutes=2),
        at_sent_time=True,
    )
    headers = await login(client, agent.email)
    url = f"/api/v1/tickets/{written.ticket_id}/calls"

    attempt = {"direction": "outbound", "number": "138 1234 5678", "started_at": "2026-03-02T10:00:00+08:00"}
    tried = await client.post(url, json={**attempt, "outcome": "no_answer"}, headers=headers)
    assert tried.status_code == 201, tried.text
    assert tried.json()["type"] == "call" and tried.json()["meta"]["call"]["callee"] == "+8613812345678"
    assert (await factories.get(hub, TicketSla, written.ticket_id)).first_response_at is None

    reached = {
        **attempt,
        "started_at": "2026-03-02T10:05:00+08:00",
        "duration_seconds": 95,
        "notes": "已约周五上门",
    }
    logged = (await client.post(url, json=reached, headers=headers)).json()
    call = logged["meta"]["call"]
    assert call["logged_by_hand"] and call["talk_seconds"] == 95 and call["agent"]["name"] == agent.name
    assert logged["text"] == "已约周五上门" and logged["author_user_id"] == str(agent.id)
    assert logged["sent_at"] == "2026-03-02T02:05:00Z"
    clocks = await factories.get(hub, TicketSla, written.ticket_id)
    assert clocks.first_response_state is ClockStatus.MET and clocks.first_response_at == START + timedelta(
        minutes=5
    )

    page = (await client.get(f"/tickets/{written.ticket_id}", headers=headers)).text
    assert 'data-call="outbound"' in page and "已约周五上门" in page

    for bad in (
        {**attempt, "duration_seconds": -1},
        {**attempt, "outcome": "lost"},
        {**attempt, "started_at": "2099-01-01T00:00:00Z"},
    ):
        assert (await client.post(url, json=bad, headers=headers)).status_code in (400, 422), bad


async def test_admins_map_extensions_over_the_api(client: AsyncTestClient, hub: Hub) -> None:
    admin = await factories.user(hub, Role.ADMIN)
    agent = await factories.user(hub, Role.AGENT, email="agent9@demo.test")
    channel = await factories.channel(hub, ChannelKind.PHONE)
    url = f"/api/v1/channels/{channel.id}/extensions"
    as_agent = await login(client, agent.email)
    assert (await client.put(f"{url}/301", json={"user": agent.email}, headers=as_agent)).status_code == 403
    as_admin = await login(client, admin.email)
    mapped = await client.put(f"{url}/301", json={"user": "AGENT9@demo.test"}, headers=as_admin)
    assert mapped.status_code == 200, mapped.text
    assert (await client.get(url, headers=as_admin)).json() == [
        {"extension": "301", "user_id": str(agent.id), "email": agent.email, "name": agent.name}
    ]
    assert (await client.delete(f"{url}/301", headers=as_admin)).status_code == 204
    assert (await client.get(url, headers=as_admin)).json() == []
    assert (await client.delete(f"{url}/301", headers=as_admin)).status_code == 404
