"""Two partner organizations side by side: each partner sees its own work and nothing of the other's.

Another organization's ticket, attachment or record answers 404, never 403 (a 403 would confirm
that the id exists), and no response a partner receives carries the other organization's data.
"""

from __future__ import annotations

import pytest

from hub.domain import ChannelKind, OrganizationKind, Role
from hub.intake.inbound import InboundAttachment
from tests import factories
from tests.web.helpers import assert_problem, login

pytestmark = pytest.mark.anyio


async def _partner_world(hub, name: str, domain: str) -> dict:
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=[domain])
    user = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    return {"org": org, "user": user, "domain": domain, "name": name}


async def test_partners_see_only_their_own_organization(hub, client, cast) -> None:
    a = await _partner_world(hub, "a", "alpha-partner.example")
    b = await _partner_world(hub, "b", "beta-partner.example")
    email = await factories.channel(hub, ChannelKind.EMAIL)
    for world, subject in ((a, "甲方交付延期"), (b, "乙方质量问题 Beta-secret")):
        world["tickets"] = []
        for n in range(2):
            result = await factories.inbound(
                hub,
                email.id,
                sender=f"buyer{n}@{world['domain']}",
                name=f"{world['name']}-contact-{n}",
                subject=f"{subject} {n}",
                text=f"{subject} body {n}",
                attachments=(
                    InboundAttachment(
                        filename=f"{world['name']}-报告.pdf",
                        content_type="application/pdf",
                        data=subject.encode(),
                    ),
                ),
            )
            world["tickets"].append(str(result.ticket_id))
    staff = cast.as_(Role.AGENT)
    b_ticket = (await client.get(f"/api/v1/tickets/{b['tickets'][0]}", headers=staff)).json()
    b_attachment = b_ticket["messages"][0]["attachments"][0]
    a_ticket = (await client.get(f"/api/v1/tickets/{a['tickets'][0]}", headers=staff)).json()
    a_attachment = a_ticket["messages"][0]["attachments"][0]

    headers = await login(client, a["user"].email)
    bodies: list[str] = []

    async def get(url: str):
        response = await client.get(url, headers=headers)
        # a problem's "instance" echoes the path partner A asked for: its own input, not a leak
        bodies.append(response.text.replace(url.split("?")[0], "<requested>"))
        return response

    listed = await get("/api/v1/tickets")
    assert listed.status_code == 200
    assert sorted(t["id"] for t in listed.json()["items"]) == sorted(a["tickets"])
    searched = await get("/api/v1/tickets?q=质量问题")
    assert searched.json()["items"] == []
    filtered = await get(f"/api/v1/tickets?organization={b['org'].id}")
    assert filtered.json()["items"] == []

    own = await get(f"/api/v1/tickets/{a['tickets'][0]}")
    assert own.status_code == 200 and own.json()["organization_id"] == str(a["org"].id)
    assert (await get(a_attachment["url"])).status_code == 200
    assert [o["id"] for o in (await get("/api/v1/organizations")).json()] == [str(a["org"].id)]
    assert (await get(f"/api/v1/organizations/{a['org'].id}")).status_code == 200

    for url in (
        f"/api/v1/tickets/{b['tickets'][0]}",
        f"/api/v1/tickets/{b['tickets'][1]}",
        b_attachment["url"],
        f"/api/v1/organizations/{b['org'].id}",
    ):
        assert_problem(await get(url), 404, "not_found")

    forbidden_words = [
        str(b["org"].id),
        b["org"].name,
        b["domain"],
        "Beta-secret",
        "乙方",
        "b-contact",
        b_attachment["id"],
        *b["tickets"],
    ]
    staff_view = (await client.get("/api/v1/tickets", headers=staff)).text
    assert all(w in staff_view for w in (str(b["org"].id), "Beta-secret", "b-contact", *b["tickets"]))
    for body in bodies:
        for word in forbidden_words:
            assert word not in body, f"{word!r} leaked to partner A: {body[:300]}"
