"""The partner portal's API: answering lines, date proposals the account manager decides, shipping
notices within the tolerance and in versions, prices by permission, and two partners apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.domain import OrganizationKind, PortalPermission, Role
from hub.models import AuditEvent, DateProposal, Notification, Organization, ShippingNotice, User
from tests import factories
from tests.portal import orders as portal
from tests.web.helpers import assert_problem, login

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(hub, client):
    manager = await factories.user(hub, Role.AGENT)
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER, manager=manager.id)
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    order_id, number, _ = await portal.erp_order(hub, org.id)
    return {
        "org": org,
        "manager": manager,
        "partner": partner,
        "order_id": str(order_id),
        "number": number,
        "headers": await login(client, partner.email),
        "staff": await login(client, manager.email),
    }


async def test_orders_are_listed_in_pages_with_lines_and_delivered_percent(hub, client, world) -> None:
    await portal.erp_order(hub, world["org"].id)
    first = await client.get("/api/v1/portal/orders?limit=1", headers=world["headers"])
    assert first.status_code == 200 and len(first.json()["items"]) == 1 and first.json()["next_cursor"]
    second = await client.get(
        f"/api/v1/portal/orders?limit=1&cursor={first.json()['next_cursor']}", headers=world["headers"]
    )
    assert second.json()["next_cursor"] is None
    ids = {first.json()["items"][0]["id"], second.json()["items"][0]["id"]}
    assert world["order_id"] in ids and len(ids) == 2
    detail = (await client.get(f"/api/v1/portal/orders/{world['order_id']}", headers=world["headers"])).json()
    assert [x["line"] for x in detail["lines"]] == [1, 2]
    assert detail["lines"][0]["unit_price"] == "12.5000" and detail["delivered_percent"] == 0.0
    bad = await client.get("/api/v1/portal/orders?cursor=nonsense", headers=world["headers"])
    assert bad.status_code == 400


async def test_a_line_confirmed_as_asked_and_another_rejected_with_a_reason(hub, client, world) -> None:
    line = await portal.line(hub, world["order_id"], 1)
    url = f"/api/v1/portal/orders/{world['order_id']}/lines"
    confirmed = await client.post(
        f"{url}/1/confirm", json={"confirmed_date": line.requested_date.isoformat()}, headers=world["headers"]
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["line"]["status"] == "confirmed" and confirmed.json()["proposal"] is None
    no_reason = await client.post(f"{url}/2/reject", json={"reason": "  "}, headers=world["headers"])
    assert no_reason.status_code in (400, 422)
    rejected = await client.post(
        f"{url}/2/reject", json={"reason": "停产 discontinued"}, headers=world["headers"]
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    again = await client.post(
        f"{url}/2/confirm", json={"confirmed_date": "2026-12-30"}, headers=world["headers"]
    )
    assert_problem(again, 409, "conflict")
    told = await factories.count(hub, Notification)
    assert told == 1, "the account manager hears of the rejection"
    trail = await factories.audit_trail(hub, line.id)
    assert [a.action for a in trail] == ["order_line.confirmed"]


async def test_a_date_proposal_is_due_in_two_business_hours_and_the_manager_accepts_it(
    hub, client, world
) -> None:
    line = await portal.line(hub, world["order_id"], 1)
    later = line.requested_date + timedelta(days=5)
    answered = await client.post(
        f"/api/v1/portal/orders/{world['order_id']}/lines/1/confirm",
        json={"confirmed_date": later.isoformat(), "quantity": 90, "reason": "capacity"},
        headers=world["headers"],
    )
    assert answered.status_code == 200, answered.text
    proposal = answered.json()["proposal"]
    assert answered.json()["line"]["status"] == "changes_proposed" and proposal["status"] == "proposed"
    assert answered.json()["line"]["confirmed_date"] is None, "the old date stands until the manager decides"

    queue = (await client.get("/api/v1/date-proposals?mine=true", headers=world["staff"])).json()
    assert [q["proposal"]["id"] for q in queue] == [proposal["id"]]
    async with hub.uow() as uow:
        row = await uow.session.get(DateProposal, proposal["id"])
        note = await uow.session.scalar(
            sa.select(Notification).where(Notification.user_id == world["manager"].id)
        )
    assert row.due_at > row.created_at and note.kind == "date_proposal"
    # 2bh in the cn calendar: within the same or the next working day, never more than 2 days + hours away.
    assert row.due_at - row.created_at <= timedelta(days=4)

    pending = (
        await client.get(f"/api/v1/portal/orders/{world['order_id']}", headers=world["headers"])
    ).json()
    assert pending["lines"][0]["pending_proposal"]["proposed_date"] == later.isoformat()

    decided = await client.post(
        f"/api/v1/date-proposals/{proposal['id']}/decision",
        json={"decision": "accept"},
        headers=world["staff"],
    )
    assert decided.status_code == 200 and decided.json()["status"] == "accepted", decided.text
    after = await portal.line(hub, world["order_id"], 1)
    assert (
        after.confirmed_date == later and after.confirmed_quantity == 90 and after.status.value == "confirmed"
    )
    assert "date_proposal.accepted" in [a.action for a in await factories.audit_trail(hub, row.id)]
    waiting = (await client.get("/api/v1/portal/waiting", headers=world["headers"])).json()
    assert "proposal_accepted" in [w["kind"] for w in waiting]
    twice = await client.post(
        f"/api/v1/date-proposals/{proposal['id']}/decision",
        json={"decision": "reject", "comment": "x"},
        headers=world["staff"],
    )
    assert_problem(twice, 409, "conflict")


async def test_a_rejected_proposal_needs_a_comment_and_a_trusted_partner_applies_at_once(
    hub, client, world
) -> None:
    url = f"/api/v1/portal/orders/{world['order_id']}/lines/2/proposals"
    made = await client.post(url, json={"proposed_date": "2027-01-15"}, headers=world["headers"])
    assert made.status_code == 201, made.text
    bare = await client.post(
        f"/api/v1/date-proposals/{made.json()['id']}/decision",
        json={"decision": "reject"},
        headers=world["staff"],
    )
    assert_problem(bare, 422, "invalid_input")
    rejected = await client.post(
        f"/api/v1/date-proposals/{made.json()['id']}/decision",
        json={"decision": "reject", "comment": "产线等不了 line cannot wait"},
        headers=world["staff"],
    )
    assert rejected.json()["status"] == "rejected"
    assert (await portal.line(hub, world["order_id"], 2)).status.value == "open"

    async with hub.uow() as uow:
        org = await uow.session.get(Organization, world["org"].id)
        org.trusted_partner = True
        await uow.commit()
    trusted = await client.post(url, json={"proposed_date": "2027-01-10"}, headers=world["headers"])
    assert trusted.json()["status"] == "applied"
    line = await portal.line(hub, world["order_id"], 2)
    assert line.confirmed_date.isoformat() == "2027-01-10" and line.status.value == "confirmed"
    async with hub.uow() as uow:
        kinds = set(await uow.session.scalars(sa.select(Notification.kind)))
    assert "date_proposal_applied" in kinds


async def test_shipping_notices_stay_within_the_tolerance_and_keep_their_versions(hub, client, world) -> None:
    lines = await portal.line_ids(hub, world["order_id"])
    body = {
        "number": "ASN-1",
        "ship_date": "2026-12-20",
        "lines": [{"line_id": str(lines[0]), "quantity": 101}],
    }
    over = await client.post("/api/v1/portal/shipping-notices", json=body, headers=world["headers"])
    assert_problem(over, 422, "invalid_input")
    async with hub.uow() as uow:
        org = await uow.session.get(Organization, world["org"].id)
        org.over_delivery_tolerance_percent = 5
        await uow.commit()
    made = await client.post("/api/v1/portal/shipping-notices", json=body, headers=world["headers"])
    assert made.status_code == 201, made.text
    notice_id = made.json()["id"]
    second = {**body, "number": "ASN-2", "lines": [{"line_id": str(lines[0]), "quantity": 5}]}
    assert_problem(
        await client.post("/api/v1/portal/shipping-notices", json=second, headers=world["headers"]),
        422,
        "invalid_input",
    )
    revised = await client.put(
        f"/api/v1/portal/shipping-notices/{notice_id}",
        json={**body, "carrier": "顺丰", "lines": [{"line_id": str(lines[0]), "quantity": 80}]},
        headers=world["headers"],
    )
    assert revised.status_code == 200, revised.text
    versions = revised.json()["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(2, "submitted"), (1, "superseded")]
    assert versions[1]["lines"][0]["quantity"] == 101.0 and versions[0]["carrier"] == "顺丰"
    # The room the revision freed is usable by another notice.
    assert (
        await client.post("/api/v1/portal/shipping-notices", json=second, headers=world["headers"])
    ).status_code == 201
    cancelled = await client.post(
        f"/api/v1/portal/shipping-notices/{notice_id}/cancel",
        json={"reason": "truck broke down"},
        headers=world["headers"],
    )
    assert cancelled.json()["status"] == "cancelled"
    assert await factories.count(hub, ShippingNotice) == 3, "no version or cancelled notice is deleted"
    listed = (await client.get("/api/v1/portal/shipping-notices", headers=world["headers"])).json()
    assert sorted(n["status"] for n in listed) == ["cancelled", "submitted"]


async def test_prices_and_deliveries_follow_the_users_permissions(hub, client, world) -> None:
    clerk = await factories.user(
        hub, Role.PARTNER, organization_id=world["org"].id, portal_permissions=frozenset()
    )
    headers = await login(client, clerk.email)
    detail = (await client.get(f"/api/v1/portal/orders/{world['order_id']}", headers=headers)).json()
    assert detail["lines"][0]["unit_price"] is None and "12.5" not in str(detail)
    lines = await portal.line_ids(hub, world["order_id"])
    refused = await client.post(
        "/api/v1/portal/shipping-notices",
        json={
            "number": "ASN-9",
            "ship_date": "2026-12-20",
            "lines": [{"line_id": str(lines[0]), "quantity": 1}],
        },
        headers=headers,
    )
    assert_problem(refused, 403, "portal_permission_needed")
    assert_problem(await client.get("/api/v1/portal/users", headers=headers), 403, "portal_permission_needed")


async def test_another_partners_ids_are_not_found_and_a_body_cannot_name_a_partner(
    hub, client, world
) -> None:
    other_org = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    other = await factories.user(hub, Role.PARTNER, organization_id=other_org.id)
    theirs = await portal.work(hub, other)
    bodies = []
    for method, url, body in (
        ("GET", f"/api/v1/portal/orders/{theirs.order_id}", None),
        (
            "POST",
            f"/api/v1/portal/orders/{theirs.order_id}/lines/1/confirm",
            {"confirmed_date": "2026-12-30"},
        ),
        ("POST", f"/api/v1/portal/orders/{theirs.order_id}/lines/2/reject", {"reason": "x"}),
        (
            "POST",
            f"/api/v1/portal/orders/{theirs.order_id}/lines/1/proposals",
            {"proposed_date": "2026-12-30"},
        ),
        ("GET", f"/api/v1/portal/shipping-notices/{theirs.notice_id}", None),
        ("POST", f"/api/v1/portal/shipping-notices/{theirs.notice_id}/cancel", {}),
        (
            "POST",
            "/api/v1/portal/shipping-notices",
            {
                "number": "ASN-X",
                "ship_date": "2026-12-20",
                "lines": [{"line_id": str(theirs.line_ids[0]), "quantity": 1}],
            },
        ),
        ("PATCH", f"/api/v1/portal/users/{other.id}", {"permissions": []}),
        ("DELETE", f"/api/v1/portal/users/{other.id}", None),
    ):
        response = await client.request(method, url, json=body, headers=world["headers"])
        assert response.status_code == 404, f"{method} {url}: {response.status_code} {response.text}"
        bodies.append(response.text.replace(url, "<requested>"))
    named = await client.post(
        f"/api/v1/portal/orders/{world['order_id']}/lines/1/confirm",
        json={"confirmed_date": "2026-12-30", "organization_id": str(other_org.id)},
        headers=world["headers"],
    )
    assert named.status_code in (400, 422) and str(other_org.id) not in named.text
    listed = await client.get("/api/v1/portal/orders", headers=world["headers"])
    waiting = await client.get("/api/v1/portal/waiting", headers=world["headers"])
    deliveries = await client.get("/api/v1/portal/deliveries", headers=world["headers"])
    notices = await client.get("/api/v1/portal/shipping-notices", headers=world["headers"])
    bodies += [listed.text, waiting.text, deliveries.text, notices.text]
    for text in bodies:
        for secret in (
            theirs.number,
            str(theirs.order_id),
            str(theirs.notice_id),
            other_org.name,
            other.email,
        ):
            assert secret not in text
    assert await factories.count(hub, ShippingNotice) == 1, "only the other partner's own notice"
    async with hub.uow() as uow:
        assert (await uow.session.get(User, other.id)).is_active


async def test_a_partner_admin_invites_sets_permissions_and_removes_its_own_users(hub, client, world) -> None:
    invited = await client.post(
        "/api/v1/portal/users",
        json={
            "email": "Clerk@Partner.example",
            "name": "仓库 Clerk",
            "permissions": ["deliveries"],
            "locale": "en",
        },
        headers=world["headers"],
    )
    assert invited.status_code == 201, invited.text
    person = invited.json()["user"]
    assert person["permissions"] == ["deliveries"] and person["totp_enabled"] is False
    clerk_headers = await login(client, "clerk@partner.example", invited.json()["one_time_password"])
    assert (await client.get("/api/v1/portal/orders", headers=clerk_headers)).status_code == 200
    taken = await client.post(
        "/api/v1/portal/users",
        json={"email": world["manager"].email, "name": "Someone"},
        headers=world["headers"],
    )
    assert_problem(taken, 409, "conflict")
    assert world["manager"].email not in taken.text
    changed = await client.patch(
        f"/api/v1/portal/users/{person['id']}",
        json={"permissions": ["deliveries", "prices"]},
        headers=world["headers"],
    )
    assert changed.json()["permissions"] == ["deliveries", "prices"]
    own = await client.patch(
        f"/api/v1/portal/users/{world['partner'].id}", json={"permissions": []}, headers=world["headers"]
    )
    assert_problem(own, 422, "invalid_input")
    removed = await client.delete(f"/api/v1/portal/users/{person['id']}", headers=world["headers"])
    assert removed.status_code == 200 and removed.json()["is_active"] is False
    assert (await client.get("/api/v1/portal/orders", headers=clerk_headers)).status_code == 401
    listed = (await client.get("/api/v1/portal/users", headers=world["headers"])).json()
    assert {p["email"] for p in listed} == {world["partner"].email, "clerk@partner.example"}
    async with hub.uow() as uow:
        actions = set(await uow.session.scalars(sa.select(AuditEvent.action)))
    assert {"user.invited", "user.portal_permissions_changed", "user.removed_by_partner_admin"} <= actions
    assert PortalPermission.ADMIN.value in world["partner"].portal_permissions


async def test_a_delivery_change_is_proposed_in_versions_and_agreed_by_the_manager(
    hub, client, world
) -> None:
    work = await portal.work(hub, world["partner"])  # its schedule has the partner's change v1 already
    url = f"/api/v1/portal/deliveries/{work.schedule_id}/changes"
    made = await client.post(url, json={"quantity": 55, "reason": "包装改版"}, headers=world["headers"])
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 2 and made.json()["quantity"] == 55.0
    versions = (await client.get(url, headers=world["headers"])).json()
    assert [(v["version"], v["status"]) for v in versions] == [(2, "proposed"), (1, "superseded")]
    listed = (await client.get("/api/v1/portal/deliveries", headers=world["headers"])).json()
    (row,) = [s for s in listed if s["id"] == str(work.schedule_id)]
    assert row["quantity"] == 60.0 and row["change"]["version"] == 2, (
        "the ERP's quantity, the change beside it"
    )

    page = await client.get(f"/partners/{world['org'].id}", headers=world["staff"])
    assert f'data-schedule-change="{made.json()["id"]}"' in page.text
    decision = f"/api/v1/delivery-changes/{made.json()['id']}/decision"
    refused = await client.post(decision, json={"decision": "reject"}, headers=world["staff"])
    assert refused.status_code in (400, 422)
    assert (
        await client.post(decision, json={"decision": "accept"}, headers=world["headers"])
    ).status_code == 403
    agreed = await client.post(decision, json={"decision": "accept"}, headers=world["staff"])
    assert agreed.status_code == 200 and agreed.json()["status"] == "accepted"
    partner_page = await client.get("/portal/deliveries", headers=world["headers"])
    assert 'data-change="accepted"' in partner_page.text and "schedule-change-form" in partner_page.text


async def test_a_proposal_left_past_its_due_time_shows_late_on_the_queue_and_the_scorecard(
    hub, client, world
) -> None:
    from datetime import datetime

    from hub.portal import orders
    from hub.requirements import followup_sweep

    line = await portal.line(hub, world["order_id"], 1)
    made = await orders.propose_date(
        hub,
        factories.actor(world["partner"]),
        line.order_id,
        1,
        proposed_date=line.requested_date + timedelta(days=2),
    )
    past = datetime.now(made.due_at.tzinfo) - timedelta(hours=1)
    async with hub.uow() as uow:  # as if two business hours went by unanswered
        await uow.session.execute(
            sa.update(DateProposal)
            .where(DateProposal.id == made.id)
            .values(
                warn_at=past - timedelta(minutes=30), due_at=past, next_due_at=past - timedelta(minutes=30)
            )
        )
        await uow.commit()
    assert (await followup_sweep.sweep(hub)).rows["date_proposal"] == 1
    queue = await client.get("/date-proposals", headers=world["staff"])
    assert f'data-proposal="{made.id}"' in queue.text and "data-late" in queue.text
    scorecard = await client.get(f"/api/v1/organizations/{world['org'].id}/scorecard", headers=world["staff"])
    measures = {m["name"]: m for m in scorecard.json()}
    assert measures["late_proposals"]["value"] == 100.0 and measures["late_proposals"]["count"] == 1
    mine = await client.get(f"/api/v1/portal/orders/{world['order_id']}", headers=world["headers"])
    assert mine.json()["lines"][0]["pending_proposal"]["breached_at"] is not None
