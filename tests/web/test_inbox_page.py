"""The HTML inbox's filters over HTTP: the organisation filter by a typed name (the page no longer
lists every organisation; ``typeahead.js`` offers names from the API as the agent types)."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from hub.accounts import users
from hub.actors import CLI
from hub.core import Hub
from hub.domain import ChannelKind, OrganizationKind, Role, TicketStatus
from hub.tickets import tickets
from tests import factories

pytestmark = pytest.mark.anyio


async def _login(client: AsyncTestClient, email: str) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 200, response.text


def _subjects(html: str) -> set[str]:
    return set(re.findall(r'<a href="/tickets/[0-9a-f-]{36}" title="([^"]*)"', html))


def _field(html: str) -> str:
    found = re.search(r'<input id="f-organization"[^>]*>', html)
    assert found, "the organisation field"
    return found.group(0)


async def test_the_organisation_filter_takes_a_typed_name_and_links_keep_it_by_id(client, hub: Hub) -> None:
    east = await factories.organization(hub, name="华东精密 East Precision", domains=["east.example"])
    await factories.organization(hub, name="华南贸易 South Trading", domains=["south.example"])
    await factories.organization(hub, name="East Logistics", domains=["logistics.example"])
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    await factories.inbound(hub, channel.id, sender="a@east.example", subject="外壳破损 from East")
    await factories.inbound(hub, channel.id, sender="b@south.example", subject="Invoice from South")
    agent = await factories.user(hub, Role.AGENT)
    await _login(client, agent.email)

    everything = await client.get("/?view=all")
    assert _subjects(everything.text) == {"外壳破损 from East", "Invoice from South"}
    # Organisations are offered as the agent types, not listed on every page.
    assert (
        "East Logistics" not in everything.text
        and 'data-typeahead="/api/v1/organizations"' in everything.text
    )

    for typed in (
        "华东精密 East Precision",
        "华东精密 EAST precision",
        "  精密 ",
    ):  # exact, any case, the only one
        page = await client.get("/", params={"view": "all", "organization_name": typed})
        assert _subjects(page.text) == {"外壳破损 from East"}, typed
        assert 'value="华东精密 East Precision"' in _field(page.text)
        # Sorting, "more" and saving carry the organisation by id.
        assert (
            f"organization={east.id}" in page.text and "organization_name" not in page.text.split("<table")[1]
        )

    by_link = await client.get("/", params={"view": "all", "organization": str(east.id)})
    assert _subjects(by_link.text) == {"外壳破损 from East"}
    assert 'value="华东精密 East Precision"' in _field(by_link.text)

    cleared = await client.get(
        "/", params={"view": "all", "organization": str(east.id), "organization_name": ""}
    )
    assert _subjects(cleared.text) == {"外壳破损 from East", "Invoice from South"}


async def test_a_name_no_organisation_has_lists_nothing_and_says_so(client, hub: Hub) -> None:
    await factories.organization(hub, name="East Precision", domains=["east.example"])
    await factories.organization(hub, name="East Logistics", domains=["logistics.example"])
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    await factories.inbound(hub, channel.id, sender="a@east.example", subject="From East")
    agent = await factories.user(hub, Role.AGENT)
    await _login(client, agent.email)
    for typed, language, words in (
        ("Nowhere Ltd", "en", "No organization by that name"),
        ("East", "zh-CN", "没有这个名称的客户组织"),
    ):
        await users.update_user(hub, CLI, agent.id, users.UserChanges(locale=language))
        page = await client.get("/", params={"view": "all", "organization_name": typed})
        assert page.status_code == 200 and _subjects(page.text) == set(), typed  # "East" names two
        assert f'value="{typed}"' in _field(page.text) and 'aria-invalid="true"' in _field(page.text)
        assert words in page.text
        rows = await client.get("/inbox/rows", params={"view": "all", "organization_name": typed})
        assert "data-id=" not in rows.text


async def test_the_organisations_api_finds_names_holding_the_text_starting_ones_first(
    client, hub: Hub, cast
) -> None:
    for name in ("Precision East", "华东精密 East Precision", "Eastern Star", "South Trading"):
        await factories.organization(hub, name=name)
    agent = cast.as_(Role.AGENT)
    found = await client.get("/api/v1/organizations", params={"q": "east", "limit": 20}, headers=agent)
    assert found.status_code == 200
    assert [o["name"] for o in found.json()] == ["Eastern Star", "Precision East", "华东精密 East Precision"]
    one = await client.get("/api/v1/organizations", params={"q": "EAST", "limit": 1}, headers=agent)
    assert [o["name"] for o in one.json()] == ["Eastern Star"]
    assert (await client.get("/api/v1/organizations", params={"limit": 0}, headers=agent)).status_code == 422
    partner = await client.get("/api/v1/organizations", params={"q": "east"}, headers=cast.as_(Role.PARTNER))
    assert partner.json() == []  # a partner still sees only its own


async def test_the_views_counts_are_counted_together_and_match_their_lists(client, hub: Hub, cast) -> None:
    east = await factories.organization(hub, name="East Precision", domains=["east.example"])
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    agent = await factories.user(hub, Role.AGENT)
    made = []
    for n in range(5):
        sender = f"c{n}@east.example" if n < 2 else f"c{n}@elsewhere.example"
        made.append((await factories.inbound(hub, channel.id, sender=sender, subject=f"问题 {n}")).ticket_id)
    await tickets.assign(hub, CLI, made[0], agent.id)
    await tickets.set_status(hub, CLI, made[4], TicketStatus.CLOSED)
    await _login(client, agent.email)
    saved = []
    for name, filters in (("East", {"view": "open", "organization": str(east.id)}), ("搜索", {"q": "问题"})):
        created = await client.post(
            "/api/v1/views", json={"name": name, "filters": filters}, headers={"X-CSRF-Token": _csrf(client)}
        )
        assert created.status_code == 201, created.text
        saved.append(created.json()["id"])
    counts = (await client.get("/inbox/counts")).json()
    assert counts == {
        "mine": 1,
        "unassigned": 3,
        "open": 4,
        "breached": 0,
        "callbacks": 0,
        "all": 5,
        saved[0]: 2,
        saved[1]: None,  # a saved search has no badge
    }
    for view in ("mine", "unassigned", "open", "all"):
        page = await client.get("/inbox/rows", params={"view": view})
        assert page.text.count("<tr data-id=") == counts[view], view


def _csrf(client: AsyncTestClient) -> str:
    return str(client.cookies.get("hub_csrf"))


async def test_a_partner_has_no_organisation_field_and_a_typed_name_changes_nothing(client, hub: Hub) -> None:
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["partner.example"])
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    await factories.inbound(hub, channel.id, sender="ops@partner.example", subject="ASN 4471 late")
    await _login(client, partner.email)
    page = await client.get("/", params={"view": "all", "organization_name": "Nowhere Ltd"})
    assert _subjects(page.text) == {"ASN 4471 late"}
    assert 'id="f-organization"' not in page.text and "typeahead.js" not in page.text
