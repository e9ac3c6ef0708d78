"""Notifications over HTTP: each person sees only their own, in their language and time zone."""

from __future__ import annotations

import uuid

import pytest

from hub.domain import ChannelKind
from hub.sla.sweep import sweep
from tests import factories
from tests.integration.sla_setup import desk, sh
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio
URL = "/api/v1/notifications"


@pytest.fixture
async def breached(clocked_hub, clock):
    clock.at = sh("2026-03-04T10:00")
    d = await desk(clocked_hub)
    await d.message(clocked_hub, ChannelKind.WEBCHAT, subject="发票问题")
    clock.advance(minutes=5)
    await sweep(clocked_hub)
    return d


async def test_the_breach_is_shown_to_the_assignee_and_the_lead_only(client, breached) -> None:
    agent = await factories.login(client, breached.agent)
    page = (await client.get(URL, headers={**agent, "Accept-Language": "zh-CN"})).json()
    assert page["unread"] == 1
    (item,) = page["items"]
    assert item["kind"] == "sla_breached" and item["read_at"] is None
    assert item["text"] == "工单 #10001（发票问题）：首次响应已于 2026-03-04 10:03 超时。"
    assert item["data"]["target"] == "first_response"

    english = (await client.get(URL, headers={**agent, "Accept-Language": "en"})).json()["items"][0]
    assert (
        english["text"]
        == "Ticket #10001 (发票问题): the first response target was missed at 2026-03-04 10:03."
    )

    lead = await factories.login(client, breached.lead)
    assert len((await client.get(URL, headers=lead)).json()["items"]) == 1
    other = await factories.login(client, breached.other_agent)
    assert (await client.get(URL, headers=other)).json() == {"items": [], "unread": 0}


async def test_marking_read_is_for_the_owner_only(client, breached) -> None:
    agent = await factories.login(client, breached.agent)
    other = await factories.login(client, breached.other_agent)
    (item,) = (await client.get(URL, headers=agent)).json()["items"]
    assert_problem(await client.post(f"{URL}/{item['id']}/read", headers=other), 404, "not_found")
    assert_problem(await client.post(f"{URL}/{uuid.uuid4()}/read", headers=agent), 404, "not_found")
    marked = await client.post(f"{URL}/{item['id']}/read", headers=agent)
    assert marked.status_code == 200 and marked.json()["read_at"] is not None
    again = await client.post(f"{URL}/{item['id']}/read", headers=agent)
    assert again.json()["read_at"] == marked.json()["read_at"], "reading twice keeps the first time"
    assert (await client.get(URL, headers=agent)).json()["unread"] == 0
    assert (await client.get(f"{URL}?unread=true", headers=agent)).json()["items"] == []


async def test_times_are_shown_in_the_readers_time_zone(client, breached) -> None:
    agent = await factories.login(client, breached.agent)
    response = await client.patch("/api/v1/users/me", json={"time_zone": "Europe/Berlin"}, headers=agent)
    assert response.status_code == 200, response.text
    (item,) = (await client.get(URL, headers={**agent, "Accept-Language": "en"})).json()["items"]
    assert "missed at 2026-03-04 03:03." in item["text"]


async def test_without_accept_language_the_profile_language_is_used(client, breached) -> None:
    agent = await factories.login(client, breached.agent)  # profiles default to zh-CN
    (item,) = (await client.get(URL, headers=agent)).json()["items"]
    assert item["text"].startswith("工单 #10001")
