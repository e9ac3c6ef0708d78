"""The ERP sync's rules over HTTP: created/updated/unchanged, stale, several matches, update_only,
field ownership, cancellation that keeps the row, and batches under an Idempotency-Key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.accounts import integration_tokens
from hub.actors import CLI
from hub.domain import OrganizationKind, Role
from hub.models import (
    AuditEvent,
    DateProposal,
    Organization,
    PortalOrder,
    PortalOrderLine,
    QualityCase,
    SyncIdempotency,
    SyncLink,
)
from hub.portal import quality
from tests import factories
from tests.portal.helpers import partner as partner_with_quality
from tests.web.helpers import assert_problem, login

pytestmark = pytest.mark.anyio

T1, T2, T0 = "2026-12-01T08:00:00+08:00", "2026-12-02T08:00:00+08:00", "2026-11-30T08:00:00+08:00"


@pytest.fixture
async def erp(hub) -> dict[str, str]:
    _, token = await integration_tokens.create(hub, CLI, name="erp", scope="sync")
    return {"Authorization": f"Bearer {token}"}


def _order(number: str = "PO-1001", at: str = T1, *, quantity: int = 100, status: str = "open", lines=None):
    return {
        "partner": {"external_ref": "V-1"},
        "number": number,
        "status": status,
        "source_updated_at": at,
        "currency": "CNY",
        "lines": lines
        or [
            {
                "line": 1,
                "item": "BRK-20",
                "description": "支架",
                "quantity": quantity,
                "unit": "pcs",
                "unit_price": "12.50",
                "requested_date": "2026-12-20",
            },
            {"line": 2, "item": "SCR-4", "quantity": 500, "unit": "pcs", "requested_date": "2026-12-22"},
        ],
    }


async def _count(hub, query) -> int:
    async with hub.uow() as uow:
        return await uow.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


async def test_a_partner_is_created_then_unchanged_then_updated_and_an_older_push_is_stale(
    hub, client, erp
) -> None:
    url = "/api/v1/sync/partners/sap/V-1"
    body = {
        "name": "华东精密 East Precision",
        "source_updated_at": T1,
        "domains": ["eastprec.example"],
        "tier": "core",
    }
    created = await client.put(url, json=body, headers=erp)
    assert created.status_code == 201, created.text
    assert created.json()["result"] == "created"
    org_id = created.json()["id"]
    org = await factories.get(hub, Organization, org_id)
    assert org.kind is OrganizationKind.PARTNER and org.domains == ["eastprec.example"]

    async with hub.uow() as uow:
        link_before = (await uow.session.scalar(sa.select(SyncLink))).updated_at
    audits = await _count(hub, sa.select(AuditEvent))
    again = await client.put(url, json=body, headers=erp)
    assert again.status_code == 200 and again.json() == {"id": org_id, "result": "unchanged"}
    async with hub.uow() as uow:
        assert (await uow.session.scalar(sa.select(SyncLink))).updated_at == link_before
    assert await _count(hub, sa.select(AuditEvent)) == audits, "an unchanged push writes nothing"

    renamed = await client.put(
        url, json={**body, "name": "East Precision Ltd", "source_updated_at": T2}, headers=erp
    )
    assert renamed.status_code == 200 and renamed.json()["result"] == "updated"
    assert (await factories.get(hub, Organization, org_id)).name == "East Precision Ltd"

    stale = await client.put(url, json={**body, "name": "Old name", "source_updated_at": T0}, headers=erp)
    problem = assert_problem(stale, 409, "sync_stale")
    assert problem["result"] == "stale"
    assert (await factories.get(hub, Organization, org_id)).name == "East Precision Ltd"


async def test_several_matches_answer_409_with_the_candidates_and_update_only_never_creates(
    hub, client, erp
) -> None:
    a = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["one.example"])
    b = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["two.example"])
    body = {"name": "Merged Supplier", "source_updated_at": T1, "domains": ["one.example", "two.example"]}
    several = await client.put("/api/v1/sync/partners/sap/V-9", json=body, headers=erp)
    problem = assert_problem(several, 409, "sync_several_matches")
    assert sorted(c["id"] for c in problem["candidates"]) == sorted([str(a.id), str(b.id)])
    assert await _count(hub, sa.select(SyncLink)) == 0

    missing = await client.put(
        "/api/v1/sync/partners/sap/V-404?update_only=true",
        json={"name": "Nobody Yet", "source_updated_at": T1},
        headers=erp,
    )
    assert_problem(missing, 404, "not_found")
    assert await _count(hub, sa.select(Organization).where(Organization.name == "Nobody Yet")) == 0

    one = await client.put(
        "/api/v1/sync/partners/sap/V-1?update_only=true",
        json={"name": "Renamed One", "source_updated_at": T1, "domains": ["one.example"]},
        headers=erp,
    )
    assert one.status_code == 200 and one.json() == {"id": str(a.id), "result": "updated"}


async def test_an_erp_push_never_overwrites_what_the_partner_answered(hub, client, erp) -> None:
    partner = await client.put(
        "/api/v1/sync/partners/sap/V-1", json={"name": "Supplier V1", "source_updated_at": T1}, headers=erp
    )
    org_id = partner.json()["id"]
    created = await client.put("/api/v1/sync/orders/sap/4500001", json=_order(), headers=erp)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    person = await factories.user(hub, Role.PARTNER, organization_id=org_id)
    headers = await login(client, person.email)
    confirmed = await client.post(
        f"/api/v1/portal/orders/{order_id}/lines/1/confirm",
        json={"confirmed_date": "2026-12-20"},
        headers=headers,
    )
    assert confirmed.status_code == 200 and confirmed.json()["line"]["status"] == "confirmed", confirmed.text

    # The ERP raises the quantity and moves the requested date; the partner's answer stays.
    pushed = _order(at=T2, quantity=120)
    pushed["lines"][0]["requested_date"] = "2026-12-24"
    updated = await client.put("/api/v1/sync/orders/sap/4500001", json=pushed, headers=erp)
    assert updated.status_code == 200 and updated.json()["result"] == "updated"
    async with hub.uow() as uow:
        line = await uow.session.scalar(
            sa.select(PortalOrderLine).where(
                PortalOrderLine.order_id == order_id, PortalOrderLine.line_no == 1
            )
        )
    assert line.quantity == 120 and line.requested_date.isoformat() == "2026-12-24"
    assert line.confirmed_date.isoformat() == "2026-12-20" and line.status.value == "confirmed"


async def test_a_cancellation_keeps_the_order_and_its_lines(hub, client, erp) -> None:
    org_id = (
        await client.put(
            "/api/v1/sync/partners/sap/V-1",
            json={"name": "Supplier V1", "source_updated_at": T1},
            headers=erp,
        )
    ).json()["id"]
    order_id = (await client.put("/api/v1/sync/orders/sap/4500002", json=_order(), headers=erp)).json()["id"]
    person = await factories.user(hub, Role.PARTNER, organization_id=org_id)
    proposed = await client.post(
        f"/api/v1/portal/orders/{order_id}/lines/1/proposals",
        json={"proposed_date": "2026-12-31"},
        headers=await login(client, person.email),
    )
    assert proposed.status_code == 201, proposed.text
    cancelled = await client.put(
        "/api/v1/sync/orders/sap/4500002", json=_order(at=T2, status="cancelled"), headers=erp
    )
    assert cancelled.status_code == 200, cancelled.text
    order = await factories.get(hub, PortalOrder, order_id)
    assert order.status.value == "cancelled"
    async with hub.uow() as uow:
        statuses = set(
            await uow.session.scalars(
                sa.select(PortalOrderLine.status).where(PortalOrderLine.order_id == order_id)
            )
        )
    assert {s.value for s in statuses} == {"cancelled"}
    proposal = await factories.get(hub, DateProposal, proposed.json()["id"])
    assert proposal.status.value == "superseded", "a cancelled line's proposal leaves the queue"
    detail = await client.get(f"/api/v1/portal/orders/{order_id}", headers=await login(client, person.email))
    assert detail.json()["status"] == "cancelled" and len(detail.json()["lines"]) == 2


async def test_deliveries_received_show_as_delivered(hub, client, erp) -> None:
    org_id = (
        await client.put(
            "/api/v1/sync/partners/sap/V-1",
            json={"name": "Supplier V1", "source_updated_at": T1},
            headers=erp,
        )
    ).json()["id"]
    order_id = (await client.put("/api/v1/sync/orders/sap/4500003", json=_order(), headers=erp)).json()["id"]
    delivery = {
        "order": {"external_ref": "4500003"},
        "line": 1,
        "due_date": "2026-12-20",
        "quantity": 100,
        "received_quantity": 40,
        "source_updated_at": T1,
    }
    made = await client.put("/api/v1/sync/deliveries/sap/DL-1", json=delivery, headers=erp)
    assert made.status_code == 201, made.text
    person = await factories.user(hub, Role.PARTNER, organization_id=org_id)
    detail = (
        await client.get(f"/api/v1/portal/orders/{order_id}", headers=await login(client, person.email))
    ).json()
    assert detail["lines"][0]["delivered_percent"] == 40.0
    assert detail["lines"][0]["unit_price"] == "12.5000"


async def test_a_batch_is_answered_once_per_idempotency_key(hub, client, erp) -> None:
    items = [
        {
            "source": "sap",
            "external_ref": f"V-{n}",
            "data": {"name": f"Batch supplier {n}", "source_updated_at": T1},
        }
        for n in range(3)
    ]
    items.append({"source": "sap", "external_ref": "V-bad", "data": {"source_updated_at": T1}})
    first = await client.post(
        "/api/v1/sync/partners:batch", json={"items": items}, headers={**erp, "Idempotency-Key": "k-1"}
    )
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 201, 422] and first.json()["replayed"] is False
    replay = await client.post(
        "/api/v1/sync/partners:batch", json={"items": items}, headers={**erp, "Idempotency-Key": "k-1"}
    )
    assert replay.json()["results"] == results and replay.json()["replayed"] is True
    assert await _count(hub, sa.select(Organization)) == 3

    other = await client.post(
        "/api/v1/sync/partners:batch", json={"items": items[:1]}, headers={**erp, "Idempotency-Key": "k-1"}
    )
    assert_problem(other, 422, "idempotency_key_reused")
    missing = await client.post("/api/v1/sync/partners:batch", json={"items": items[:1]}, headers=erp)
    assert_problem(missing, 422, "invalid_input")
    async with hub.uow() as uow:
        assert await uow.session.scalar(sa.select(sa.func.count()).select_from(SyncIdempotency)) == 1


async def test_only_a_sync_token_or_an_admin_may_sync_and_the_token_reads_nothing_else(
    hub, client, cast, erp
) -> None:
    body = {"name": "Token supplier", "source_updated_at": T1}
    for role in (Role.AGENT, Role.SUPERVISOR, Role.PARTNER):
        refused = await client.put("/api/v1/sync/partners/sap/V-7", json=body, headers=cast.as_(role))
        assert_problem(refused, 403, "forbidden")
    by_admin = await client.put("/api/v1/sync/partners/sap/V-7", json=body, headers=cast.as_(Role.ADMIN))
    assert by_admin.status_code == 201, by_admin.text
    for url in ("/api/v1/tickets", "/api/v1/organizations", "/api/v1/auth/me", "/api/v1/portal/orders"):
        assert (await client.get(url, headers=erp)).status_code == 403, url
    assert (await client.get("/", headers=erp, follow_redirects=False)).status_code in (403, 303)
    wrong = await client.put(
        "/api/v1/sync/partners/sap/V-7", json=body, headers={"Authorization": "Bearer hub_int_nope"}
    )
    assert_problem(wrong, 401, "not_authenticated")
    unknown = await client.put("/api/v1/sync/invoices/sap/1", json=body, headers=erp)
    assert unknown.status_code == 404


async def test_quality_cases_sync_by_the_same_rules_and_never_touch_the_partners_answers(
    hub, client, erp
) -> None:
    who = await partner_with_quality(hub)
    url = "/api/v1/sync/quality_cases/sap/NCR-7"
    body = {
        "partner": {"organization_id": str(who.organization.id)},
        "number": "NCR-7",
        "title": "毛刺 Burrs",
        "severity": "minor",
        "item": "BRK-20",
        "source_updated_at": T1,
    }
    created = await client.put(url, json=body, headers=erp)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    again = await client.put(url, json=body, headers=erp)
    assert again.status_code == 200 and again.json() == {"id": case_id, "result": "unchanged"}
    await quality.answer_step(hub, who.engineer_actor, case_id, "D3", "Sorted at our dock")
    renamed = await client.put(
        url, json={**body, "title": "Burrs, lot 7", "source_updated_at": T2}, headers=erp
    )
    assert renamed.json() == {"id": case_id, "result": "updated"}
    view = await _case(hub, case_id)
    assert view.case.title == "Burrs, lot 7" and view.case.ticket_id is not None
    assert {s.discipline.value: s.answer for s in view.steps}["D3"] == "Sorted at our dock"
    stale = await client.put(url, json={**body, "source_updated_at": T0}, headers=erp)
    assert assert_problem(stale, 409, "sync_stale")["result"] == "stale"
    missing = await client.put(
        "/api/v1/sync/quality_cases/sap/NCR-8?update_only=true", json={**body, "number": "NCR-8"}, headers=erp
    )
    assert_problem(missing, 404, "not_found")

    items = [
        {"source": "sap", "external_ref": "NCR-9", "data": {**body, "number": "NCR-9"}},
        {"source": "sap", "external_ref": "NCR-7", "data": {**body, "source_updated_at": T0}},
        {"source": "sap", "external_ref": "NCR-10", "data": {**body, "partner": {"external_ref": "V-?"}}},
    ]
    batch = await client.post(
        "/api/v1/sync/quality_cases:batch", json={"items": items}, headers={**erp, "Idempotency-Key": "q-1"}
    )
    results = batch.json()["results"]
    assert [(r["status"], r.get("code")) for r in results] == [
        (201, None),
        (409, "sync_stale"),
        (422, "invalid_input"),
    ]
    assert await _count(hub, sa.select(QualityCase)) == 2


async def _case(hub, case_id):
    async with hub.uow() as uow:
        return await quality.case_view(uow.session, CLI, case_id)
