from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub.domain import ChannelKind, Role
from hub.models import AuditEvent, Ticket
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio


async def _people(hub) -> dict[str, uuid.UUID]:
    email = await factories.channel(hub, ChannelKind.EMAIL)
    phone = await factories.channel(hub, ChannelKind.PHONE)
    zhang = await factories.inbound(
        hub, email.id, sender="Zhang.Wei@Acme.example", name="张伟", subject="订单"
    )
    li = await factories.inbound(hub, email.id, sender="li.na@other.example", name="李娜")
    wang = await factories.inbound(hub, phone.id, sender="+86 138 0013 8000", name="王芳", text="来电")
    ids = {}
    async with hub.uow() as uow:
        for key, result in (("zhang", zhang), ("li", li), ("wang", wang)):
            ticket = await uow.session.get(Ticket, result.ticket_id)
            ids[key] = ticket.contact_id
    return ids


async def _search(client, cast, **params) -> list[str]:
    response = await client.get("/api/v1/contacts", params=params, headers=cast.as_(Role.AGENT))
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def test_search_by_chinese_name_identity_and_phone_fragment(hub, client, cast) -> None:
    await _people(hub)
    assert await _search(client, cast, q="张伟") == ["张伟"]
    assert await _search(client, cast, q="伟") == ["张伟"]
    assert await _search(client, cast, q="ACME") == ["张伟"]
    assert await _search(client, cast, q="138 0013") == ["王芳"]
    assert await _search(client, cast, q="%") == []  # LIKE wildcards are literal
    assert sorted(await _search(client, cast)) == sorted(["张伟", "李娜", "王芳"])

    body = (await client.get("/api/v1/contacts?q=zhang", headers=cast.as_(Role.AGENT))).json()
    assert body["items"][0]["identities"] == [{"kind": "email", "value": "zhang.wei@acme.example"}]
    assert body["next_cursor"] is None


async def test_search_by_organization_pages_without_overlap(hub, client, cast) -> None:
    org = await factories.organization(hub, domains=["acme.example"])
    email = await factories.channel(hub, ChannelKind.EMAIL)
    for n in range(3):
        await factories.inbound(hub, email.id, sender=f"p{n}@acme.example", name=f"Person {n}")
    await factories.inbound(hub, email.id, sender="x@elsewhere.example", name="Outsider")
    headers = cast.as_(Role.SUPERVISOR)

    first = (await client.get(f"/api/v1/contacts?organization={org.id}&limit=2", headers=headers)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = await client.get(
        "/api/v1/contacts",
        params={"organization": str(org.id), "limit": 2, "cursor": first["next_cursor"]},
        headers=headers,
    )
    names = [i["name"] for i in first["items"]] + [i["name"] for i in second.json()["items"]]
    assert sorted(names) == ["Person 0", "Person 1", "Person 2"]
    assert second.json()["next_cursor"] is None

    assert_problem(await client.get("/api/v1/contacts?cursor=bm9wZQ", headers=headers), 400, "bad_cursor")
    assert_problem(await client.get("/api/v1/contacts?limit=0", headers=headers), 422, "invalid_input")
    assert_problem(await client.get("/api/v1/contacts?organization=x", headers=headers), 422, "invalid_input")


async def test_read_contact_with_identities_and_tickets(hub, client, cast) -> None:
    ids = await _people(hub)
    response = await client.get(f"/api/v1/contacts/{ids['zhang']}", headers=cast.as_(Role.AGENT))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "张伟"
    assert body["identities"] == [{"kind": "email", "value": "zhang.wei@acme.example"}]
    [ticket] = body["tickets"]
    assert ticket["subject"] == "订单" and ticket["status"] == "new" and ticket["channel"] == "email"
    assert set(ticket) == {"id", "number", "subject", "status", "channel"}

    missing = await client.get(f"/api/v1/contacts/{uuid.uuid4()}", headers=cast.as_(Role.AGENT))
    assert_problem(missing, 404, "not_found")


async def test_merge_moves_identities_and_tickets_and_hides_the_source(hub, client, cast) -> None:
    ids = await _people(hub)
    headers = cast.as_(Role.AGENT)
    body = {"source_id": str(ids["wang"]), "target_id": str(ids["zhang"])}
    response = await client.post("/api/v1/contacts/merge", json=body, headers=headers)
    assert response.status_code == 200, response.text
    target = response.json()
    assert target["id"] == str(ids["zhang"])
    assert {i["kind"] for i in target["identities"]} == {"email", "phone"}
    assert len(target["tickets"]) == 2

    assert await _search(client, cast, q="王芳") == []
    assert await _search(client, cast, q="138") == ["张伟"]
    source = (await client.get(f"/api/v1/contacts/{ids['wang']}", headers=headers)).json()
    assert source["merged_into_id"] == str(ids["zhang"]) and source["tickets"] == []

    async with hub.uow() as uow:
        event = await uow.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "contact.merged"))
    assert event is not None and event.actor_user_id == cast.agent.id
    assert event.before == {"source_id": str(ids["wang"])}

    again = await client.post("/api/v1/contacts/merge", json=body, headers=headers)
    assert_problem(again, 409, "conflict")


async def test_merge_errors(hub, client, cast) -> None:
    ids = await _people(hub)
    headers = cast.as_(Role.AGENT)
    same = {"source_id": str(ids["li"]), "target_id": str(ids["li"])}
    assert_problem(
        await client.post("/api/v1/contacts/merge", json=same, headers=headers), 422, "invalid_input"
    )
    unknown = {"source_id": str(uuid.uuid4()), "target_id": str(ids["li"])}
    assert_problem(
        await client.post("/api/v1/contacts/merge", json=unknown, headers=headers), 404, "not_found"
    )
    partial = {"source_id": str(ids["li"])}
    assert_problem(
        await client.post("/api/v1/contacts/merge", json=partial, headers=headers), 422, "invalid_input"
    )
    body = {"source_id": str(ids["li"]), "target_id": str(ids["zhang"])}
    denied = await client.post("/api/v1/contacts/merge", json=body, headers=cast.as_(Role.PARTNER))
    assert_problem(denied, 403, "forbidden")
