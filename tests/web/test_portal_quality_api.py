"""``/api/v1/portal/``: quality cases and steps, action items, meetings and messages for a partner's
own systems, and the company's side; writes take the partner from the login, never the body."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.actors import CLI
from hub.models import ActionItem, Message, QualityStep
from hub.portal import links
from hub.portal.terms import LinkObject
from tests import factories
from tests.portal.helpers import partner
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def _world(hub, client):
    a, b = await partner(hub), await partner(hub)
    staff = await factories.login(client, a.manager)
    a_headers = await factories.login(client, a.engineer)
    b_headers = await factories.login(client, b.engineer)
    opened = await client.post(
        f"/api/v1/organizations/{a.organization.id}/quality-cases",
        json={
            "title": "划痕 Scratches on cover",
            "description": "12 of 500",
            "severity": "minor",
            "lot": "L-7",
        },
        headers=staff,
    )
    assert opened.status_code == 201, opened.text
    return a, b, staff, a_headers, b_headers, opened.json()


async def test_a_partner_reads_and_answers_its_case_and_the_buyer_reviews(hub, client) -> None:
    a, b, staff, a_headers, b_headers, case = await _world(hub, client)
    listed = await client.get("/api/v1/portal/quality-cases", headers=a_headers)
    assert [c["id"] for c in listed.json()["items"]] == [case["id"]]
    assert listed.json()["items"][0]["created_by_id"] is None  # the staff stay the company
    assert (await client.get("/api/v1/portal/quality-cases", headers=b_headers)).json()["items"] == []
    detail = await client.get(f"/api/v1/portal/quality-cases/{case['id']}", headers=a_headers)
    assert [s["discipline"] for s in detail.json()["steps"]] == ["D3", "D4", "D5", "D8"]
    assert detail.json()["steps"][0]["duration"] == "1bd"
    assert_problem(
        await client.get(f"/api/v1/portal/quality-cases/{case['id']}", headers=b_headers), 404, "not_found"
    )

    url = f"/api/v1/portal/quality-cases/{case['id']}/steps/D3/answer"
    # Another partner's id in the body is refused and changes nothing.
    sneaky = await client.post(
        url, json={"answer": "x", "organization_id": str(b.organization.id)}, headers=a_headers
    )
    assert sneaky.status_code in (400, 422)
    assert_problem(await client.post(url, json={"answer": "theirs"}, headers=b_headers), 404, "not_found")
    assert (await client.post(url, json={"answer": "staff"}, headers=staff)).status_code == 403
    answered = await client.post(url, json={"answer": "已隔离 Contained"}, headers=a_headers)
    assert answered.status_code == 200 and answered.json()["status"] == "answered", answered.text

    review = f"/api/v1/portal/quality-cases/{case['id']}/steps/D3/review"
    assert (await client.post(review, json={"decision": "reject"}, headers=staff)).status_code == 422
    assert (
        await client.post(review, json={"decision": "reject", "comment": "x"}, headers=a_headers)
    ).status_code == 403
    rejected = await client.post(
        review, json={"decision": "reject", "comment": "请补充在途数量 add in-transit"}, headers=staff
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["review_comment"].startswith("请补充")
    again = await client.get(f"/api/v1/portal/quality-cases/{case['id']}", headers=a_headers)
    assert again.json()["steps"][0]["status"] == "rejected"

    timings = await client.put(
        f"/api/v1/organizations/{a.organization.id}/quality-timings",
        json={"timings": {"D3": "4bh"}},
        headers=staff,
    )
    assert timings.json()["timings"]["D3"] == "4bh"
    bad = await client.put(
        f"/api/v1/organizations/{a.organization.id}/quality-timings",
        json={"timings": {"D3": "soon"}},
        headers=staff,
    )
    assert_problem(bad, 422, "invalid_input")
    cancelled = await client.post(
        f"/api/v1/portal/quality-cases/{case['id']}/cancel", json={"reason": "opened twice"}, headers=staff
    )
    assert cancelled.json()["status"] == "cancelled"
    assert_problem(await client.post(url, json={"answer": "late"}, headers=a_headers), 409, "conflict")


async def test_action_items_meetings_and_messages(hub, client) -> None:
    a, _, staff, a_headers, b_headers, _ = await _world(hub, client)
    starts = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    series = await client.post(
        f"/api/v1/organizations/{a.organization.id}/meeting-series",
        json={"kind": "weekly_sync", "title": "周例会", "starts_at": starts},
        headers=staff,
    )
    assert series.status_code == 201, series.text
    (meeting,) = (await client.get("/api/v1/portal/meetings", headers=a_headers)).json()["items"]
    assert meeting["minutes"] is None and meeting["agenda"] == []
    assert (await client.get("/api/v1/portal/meetings", headers=b_headers)).json()["items"] == []
    saved = await client.put(
        f"/api/v1/portal/meetings/{meeting['id']}/minutes",
        json={
            "minutes": "Agreed on weekly shipments",
            "attendee_ids": [str(a.manager.id), str(a.engineer.id)],
        },
        headers=staff,
    )
    assert saved.status_code == 200, saved.text
    draft = await client.get(f"/api/v1/portal/meetings/{meeting['id']}", headers=a_headers)
    assert draft.json()["minutes"] is None and draft.json()["attendees"] == [a.engineer.name]
    published = await client.post(
        f"/api/v1/portal/meetings/{meeting['id']}/publish",
        json={"decisions": [{"title": "Send the revised drawing", "owner_id": str(a.engineer.id)}]},
        headers=staff,
    )
    assert published.status_code == 200, published.text
    read = await client.get(f"/api/v1/portal/meetings/{meeting['id']}", headers=a_headers)
    assert read.json()["minutes"] == "Agreed on weekly shipments"
    assert_problem(
        await client.get(f"/api/v1/portal/meetings/{meeting['id']}", headers=b_headers), 404, "not_found"
    )

    items = (await client.get("/api/v1/portal/action-items", headers=a_headers)).json()["items"]
    assert [(i["title"], i["owner_name"], i["source"]) for i in items] == [
        ("Send the revised drawing", a.engineer.name, "meeting")
    ]
    done = await client.patch(
        f"/api/v1/portal/action-items/{items[0]['id']}", json={"status": "done"}, headers=a_headers
    )
    assert done.json()["status"] == "done"
    assert_problem(
        await client.patch(
            f"/api/v1/portal/action-items/{items[0]['id']}", json={"status": "open"}, headers=b_headers
        ),
        404,
        "not_found",
    )
    buyer_item = await client.post(
        f"/api/v1/organizations/{a.organization.id}/action-items",
        json={"title": "Pay the sample invoice", "owner_id": str(a.manager.id)},
        headers=staff,
    )
    assert buyer_item.status_code == 201, buyer_item.text
    seen = (await client.get("/api/v1/portal/action-items", headers=a_headers)).json()["items"]
    assert {i["title"]: i["owner_id"] for i in seen}["Pay the sample invoice"] is None

    written = await client.post(
        "/api/v1/portal/messages", json={"text": "能否改为周二送货？"}, headers=a_headers
    )
    assert written.status_code == 201, written.text
    assert (
        await client.post("/api/v1/portal/messages", json={"text": "x"}, headers=staff)
    ).status_code == 403
    conversations = (await client.get("/api/v1/portal/messages", headers=a_headers)).json()["items"]
    assert written.json()["ticket_id"] in {c["ticket_id"] for c in conversations}
    assert (await client.get("/api/v1/portal/messages", headers=b_headers)).json()["items"] == []
    async with hub.uow() as uow:
        assert await uow.session.scalar(sa.select(sa.func.count()).select_from(ActionItem)) == 2
        assert (
            await uow.session.scalar(
                sa.select(sa.func.count()).where(Message.ticket_id == uuid.UUID(written.json()["ticket_id"]))
            )
            == 1
        )


async def test_a_link_acts_without_a_login_once(hub, client) -> None:
    a, _, _, _, _, case = await _world(hub, client)
    async with hub.uow() as uow:
        step = await uow.session.scalar(
            sa.select(QualityStep).where(
                QualityStep.case_id == uuid.UUID(case["id"]), QualityStep.discipline == "D3"
            )
        )
    issued = await links.issue(hub, CLI, a.engineer.id, LinkObject.QUALITY_STEP, step.id)
    url = f"/api/v1/portal/act/{issued.token}"
    wrong = await client.post(url, json={"code": "x", "answer": "y"})
    assert_problem(wrong, 403, "link_code_wrong")
    acted = await client.post(url, json={"code": issued.code, "answer": "Contained 2,400 pcs"})
    assert acted.status_code == 200 and acted.json()["object"] == "quality_step", acted.text
    assert_problem(await client.post(url, json={"code": issued.code, "answer": "again"}), 404, "link_invalid")
    assert_problem(
        await client.post("/api/v1/portal/act/hub_pl_nope", json={"code": "1"}), 404, "link_invalid"
    )
