"""The portal's quality, meeting, action-item and message pages in both languages, what each side
sees there, and the page a single-use link opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.actors import CLI
from hub.models import QualityStep
from hub.portal import action_items, links, meetings, messages, quality
from hub.portal.terms import LinkObject, MeetingKind
from hub.tickets import tickets
from tests import factories
from tests.portal import orders as portal_orders
from tests.portal.helpers import case as open_case
from tests.portal.helpers import partner

pytestmark = pytest.mark.anyio


async def test_the_home_lists_everything_waiting_on_the_partner_in_one_list(hub, client) -> None:
    """Orders (part 1) beside quality steps, action items and unread replies, due soonest first."""
    who, other = await partner(hub), await partner(hub)
    _, number, _ = await portal_orders.erp_order(hub, who.organization.id)
    case = await open_case(hub, who, "毛刺 Burrs")
    now = hub.clock.now()
    await action_items.create(
        hub,
        CLI,
        who.organization.id,
        action_items.NewActionItem(
            "Send the 8D form", owner_user_id=who.engineer.id, due_at=now + timedelta(hours=1)
        ),
    )
    asked = await messages.post(hub, who.engineer_actor, "Pallet size?")
    await tickets.reply(hub, who.manager_actor, asked.ticket_id, tickets.Draft(text="1200 x 800"))
    headers = await factories.login(client, who.engineer)

    listed = (await client.get("/api/v1/portal/waiting", headers=headers)).json()
    kinds = [item["kind"] for item in listed]
    assert kinds == [
        "action_item",
        "quality_step",
        "order_to_confirm",
        "quality_step",
        "quality_step",
        "quality_step",
        "messages",
        "messages",
    ]
    # The reply, and the case's opening message (the company spoke first there): no due time.
    subjects = {item["params"]["subject"] for item in listed[-2:]}
    assert subjects == {"Pallet size?", f"[{case.number}] 毛刺 Burrs"}
    assert listed[0]["params"] == {"title": "Send the 8D form"} and listed[-1]["due_at"] is None
    assert listed[1]["link"] == f"/portal/quality/{case.id}" and listed[1]["params"]["discipline"] == "D3"
    assert listed[2]["params"]["order"] == number and listed[2]["due_at"] < listed[3]["due_at"]

    home = await client.get("/portal", headers=headers)
    assert 'data-kind="quality_step"' in home.text and 'data-kind="action_item"' in home.text
    assert (
        f"质量问题单 {case.number} 毛刺 Burrs：请答复 D3" in home.text
        and "1 条新回复：Pallet size?" in home.text
    )
    await client.patch("/api/v1/users/me", json={"locale": "en"}, headers=headers)
    english = await client.get("/portal", headers=headers)
    assert "Action item: Send the 8D form" in english.text and f"Confirm order {number}" in english.text
    block = await client.get("/portal/quality", headers=headers)
    assert (
        block.text.count('data-waiting="quality_step"') == 4
        and 'data-waiting="order_to_confirm"' in block.text
    )
    theirs = (
        await client.get("/api/v1/portal/waiting", headers=await factories.login(client, other.engineer))
    ).json()
    assert theirs == []


async def test_each_side_sees_its_own_controls_and_another_partner_nothing(hub, client) -> None:
    a, b = await partner(hub), await partner(hub)
    case = await open_case(hub, a, "外壳划伤 Scratched housing")
    await quality.answer_step(hub, a.engineer_actor, case.id, "D4", "Worn fixture")
    series = await meetings.create_series(
        hub,
        a.manager_actor,
        a.organization.id,
        kind=MeetingKind.MONTHLY_REVIEW,
        title="月度回顾",
        starts_at=datetime.now(UTC) + timedelta(days=3),
    )
    await action_items.create(
        hub, CLI, a.organization.id, action_items.NewActionItem("Ship 5 samples", owner_user_id=a.clerk.id)
    )
    await messages.post(hub, a.engineer_actor, "Delivery question")
    partner_headers = await factories.login(client, a.engineer)
    staff_headers = await factories.login(client, a.manager)
    other_headers = await factories.login(client, b.engineer)

    page = await client.get(f"/portal/quality/{case.id}", headers=partner_headers)
    assert page.status_code == 200 and "外壳划伤" in page.text
    assert (
        page.text.count("/steps/D3/answer") == 1 and "/steps/D4/answer" not in page.text
    )  # D4 waits on the buyer
    assert "/review" not in page.text and "D3 临时遏制措施" in page.text
    staff_page = await client.get(f"/portal/quality/{case.id}", headers=staff_headers)
    assert "/steps/D4/review" in staff_page.text and "/steps/D3/answer" not in staff_page.text
    assert (await client.get(f"/portal/quality/{case.id}", headers=other_headers)).status_code == 404
    clerk = await factories.login(client, a.clerk)
    assert "门户权限“质量”" in (await client.get(f"/portal/quality/{case.id}", headers=clerk)).text

    home = await client.get("/portal/quality", headers=partner_headers)
    assert 'data-waiting="quality_step"' in home.text and "待您处理" in home.text
    listing = await client.get("/portal/quality", headers=other_headers)
    assert listing.status_code == 200 and "外壳划伤" not in listing.text and "暂无质量问题单" in listing.text
    for url in ("/portal/quality", "/portal/meetings", "/portal/action-items", "/portal/messages"):
        mine = await client.get(url, headers=partner_headers)
        theirs = await client.get(url, headers=other_headers)
        assert mine.status_code == theirs.status_code == 200, url
        assert a.organization.name not in theirs.text and "Ship 5 samples" not in theirs.text, url
    assert "Ship 5 samples" in (await client.get("/portal/action-items", headers=partner_headers)).text
    assert "Delivery question" in (await client.get("/portal/messages", headers=partner_headers)).text

    async with hub.session_factory() as session:
        (meeting,) = await meetings.list_meetings(session, CLI, organization_id=a.organization.id)
    await meetings.save_minutes(hub, a.manager_actor, meeting.id, minutes="MINUTES-DRAFT-xyz")
    hidden = await client.get(f"/portal/meetings/{meeting.id}", headers=partner_headers)
    assert "MINUTES-DRAFT-xyz" not in hidden.text and "纪要发布后将在此显示" in hidden.text
    editor = await client.get(f"/portal/meetings/{meeting.id}", headers=staff_headers)
    assert "MINUTES-DRAFT-xyz" in editor.text and "/publish" in editor.text
    assert (await client.get(f"/portal/meetings/{meeting.id}", headers=other_headers)).status_code == 404
    company = await client.get(f"/organizations/{a.organization.id}/portal", headers=staff_headers)
    assert company.status_code == 200 and "外壳划伤" in company.text and series.title in company.text
    assert (
        await client.get(f"/organizations/{a.organization.id}/portal", headers=partner_headers)
    ).status_code == 403

    await client.patch("/api/v1/users/me", json={"locale": "en"}, headers=partner_headers)
    english = await client.get(f"/portal/quality/{case.id}", headers=partner_headers)
    assert "D3 Containment" in english.text and "Submit answer" in english.text


async def test_the_link_page_shows_its_object_and_refuses_a_spent_link(hub, client) -> None:
    a = await partner(hub)
    case = await open_case(hub, a)
    async with hub.uow() as uow:
        d3 = await uow.session.scalar(
            sa.select(QualityStep).where(QualityStep.case_id == case.id, QualityStep.discipline == "D3")
        )
    issued = await links.issue(hub, CLI, a.engineer.id, LinkObject.QUALITY_STEP, d3.id)
    page = await client.get(issued.path)
    assert page.status_code == 200 and case.number in page.text and 'name="code"' in page.text
    await links.act(hub, issued.token, issued.code, answer="done")
    spent = await client.get(issued.path)
    assert spent.status_code == 404 and "此链接无效" in spent.text
