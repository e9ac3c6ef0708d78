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


async def test_the_portal_keeps_internal_notes_and_other_partners_out(hub, client) -> None:
    """A quality case's internal note, a meeting where both partners' people were invited by
    mistake, and the owners offered on action items: partner A reads none of B, nor the note."""
    from hub.portal import action_items, meetings, quality
    from hub.portal.terms import MeetingKind
    from hub.tickets import tickets
    from tests.portal.helpers import partner

    a, b = await partner(hub), await partner(hub)
    case = await quality.open_case(
        hub, a.manager_actor, a.organization.id, quality.NewCase(title="Awalk case")
    )
    await tickets.note(hub, a.manager_actor, case.ticket_id, tickets.Draft(text="INTERNAL-xyz 供应商不可见"))
    series = await meetings.create_series(
        hub,
        a.manager_actor,
        a.organization.id,
        kind=MeetingKind.WEEKLY_SYNC,
        title="Sync",
        starts_at=case.opened_at,
    )
    async with hub.session_factory() as session:
        (meeting,) = await meetings.list_meetings(session, a.manager_actor, organization_id=a.organization.id)
    assert meeting.series_id == series.id
    # B's person cannot be made an attendee or owner of A's meeting or items.
    with pytest.raises(Exception, match="attendee"):
        await meetings.save_minutes(
            hub, a.manager_actor, meeting.id, minutes="m", attendee_ids=[b.engineer.id]
        )
    with pytest.raises(Exception, match="owner"):
        await action_items.create(
            hub, a.manager_actor, a.organization.id, action_items.NewActionItem("x", owner_user_id=b.clerk.id)
        )
    await meetings.save_minutes(
        hub, a.manager_actor, meeting.id, minutes="m", attendee_ids=[a.manager.id, a.engineer.id]
    )
    await meetings.publish(hub, a.manager_actor, meeting.id)

    headers = await login(client, a.engineer.email)
    seen = []
    for url in (
        "/api/v1/portal/quality-cases",
        f"/api/v1/portal/quality-cases/{case.id}",
        f"/api/v1/tickets/{case.ticket_id}",
        f"/tickets/{case.ticket_id}",
        f"/portal/quality/{case.id}",
        "/api/v1/portal/meetings",
        f"/portal/meetings/{meeting.id}",
        "/api/v1/portal/action-items",
        "/api/v1/portal/messages",
    ):
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, url
        seen.append(response.text)
    text = "\n".join(seen)
    for word in ("INTERNAL-xyz", b.organization.name, b.engineer.name, b.clerk.name, str(b.organization.id)):
        assert word not in text, word
    assert a.engineer.name in text and "Awalk case" in text
