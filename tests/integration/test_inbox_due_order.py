"""The inbox's SLA order read segment by segment (``hub.tickets.due_order``) gives exactly the rows,
in exactly the order, of the one ``LEFT JOIN ticket_sla ... ORDER BY`` it replaced, page after page."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.domain import ChannelKind, Role
from hub.models import Organization, TicketSla, User
from hub.sla.targets import ClockStatus
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

URL = "/api/v1/tickets"
BASE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
#: The order as the inbox wrote it before, one statement over every ticket: the test's oracle.
OLD_ORDER = """
SELECT t.number FROM tickets t JOIN contacts c ON c.id = t.contact_id
LEFT JOIN ticket_sla s ON s.ticket_id = t.id
WHERE t.merged_into_id IS NULL {where}
ORDER BY least(CASE WHEN s.first_response_state = 'active' THEN s.first_response_due_at END,
               CASE WHEN s.next_response_state = 'active' THEN s.next_response_due_at END,
               CASE WHEN s.resolution_state = 'active' THEN s.resolution_due_at END) {direction} NULLS LAST,
         s.waiting_since ASC NULLS LAST, t.number DESC
"""


@dataclass
class Varied:
    agent: User
    acme: Organization
    numbers: list[int]


def _clocks(i: int) -> dict[str, Any] | None:
    """Ticket i's clock row: none, due times with ties (between targets and between tickets),
    targets met or paused (no due time) with and without a client waiting, waits that tie."""
    hours = timedelta(hours=1)
    kind = i % 7
    if kind == 0:
        return None
    row: dict[str, Any] = {
        "first_response_state": None,
        "first_response_due_at": None,
        "next_response_state": None,
        "next_response_due_at": None,
        "resolution_state": None,
        "resolution_due_at": None,
        "waiting_since": None,
    }
    if kind == 1:  # first response running; due times tie across tickets (i // 7 repeats)
        row.update(first_response_state="active", first_response_due_at=BASE + (i // 14) * hours)
        row["waiting_since"] = BASE - (i % 3) * hours if i % 2 else None
    elif kind == 2:  # first response met, resolution running: its due time is the one
        row.update(
            first_response_state="met",
            first_response_due_at=BASE - 5 * hours,
            resolution_state="active",
            resolution_due_at=BASE + (i // 14) * hours,
            waiting_since=BASE - hours,
        )
    elif kind == 3:  # everything met, the client waiting again: no due time, a wait (ties)
        row.update(first_response_state="met", resolution_state="met", waiting_since=BASE - (i % 2) * hours)
    elif kind == 4:  # paused: a due time stored, but not running; nobody waiting
        row.update(resolution_state="paused", resolution_due_at=BASE - 9 * hours)
    elif kind == 5:  # the same due time and wait as another ticket: only the number tells them apart
        row.update(next_response_state="active", next_response_due_at=BASE, waiting_since=BASE - 2 * hours)
    else:  # breached: no longer running, so no due time; waiting
        row.update(first_response_state="breached", first_response_due_at=BASE - hours, waiting_since=BASE)
    return row


def _subject(i: int) -> str:
    return f"Ticket {i}: " + ("invoice" if (i // 2) % 3 == 0 else "delivery")


def _ended(i: int) -> dict[str, Any] | None:
    if i % 2:
        return None
    return {"first_response_state": "met", "resolution_state": "met", "resolution_due_at": BASE}


@pytest.fixture
async def varied(hub: Hub) -> Varied:
    agent = await factories.user(hub, Role.AGENT)
    acme = await factories.organization(hub, domains=["acme.cn"])
    email = await factories.channel(hub, ChannelKind.EMAIL)
    numbers = []
    for i in range(42):
        domain = "acme.cn" if i % 3 == 0 else "example.com"
        result = await factories.inbound(hub, email.id, sender=f"client{i}@{domain}", subject=_subject(i))
        async with hub.uow() as uow:
            db = uow.session
            number = await db.scalar(
                sa.text("SELECT number FROM tickets WHERE id = :id"), {"id": result.ticket_id}
            )
            status = ("new", "open", "pending", "resolved", "closed")[i % 5]
            await db.execute(
                sa.text("UPDATE tickets SET status = :status, tags = :tags WHERE id = :id"),
                {"status": status, "tags": ["vip"] if i % 4 == 0 else [], "id": result.ticket_id},
            )
            await db.execute(
                sa.text("DELETE FROM ticket_sla WHERE ticket_id = :id"), {"id": result.ticket_id}
            )
            # A resolved or closed ticket's cycle has ended: no target runs, nobody waits.
            clocks = _clocks(i) if status not in ("resolved", "closed") else _ended(i)
            if clocks is not None:
                states = {k: ClockStatus(v) if k.endswith("_state") and v else v for k, v in clocks.items()}
                await db.execute(sa.insert(TicketSla).values(ticket_id=result.ticket_id, **states))
            await uow.commit()
        numbers.append(number)
    return Varied(agent, acme, numbers)


async def _old_order(hub: Hub, sort: str, where: str = "", **params: Any) -> list[int]:
    direction = "DESC" if sort.startswith("-") else "ASC"
    async with hub.uow() as uow:
        found = await uow.session.scalars(sa.text(OLD_ORDER.format(where=where, direction=direction)), params)
        return list(found)


async def _pages(client, headers: dict[str, str], limit: int, **params: Any) -> list[int]:
    """Every page of the list, following its cursors; each page's size checked."""
    numbers: list[int] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(URL, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        page = [item["number"] for item in body["items"]]
        numbers += page
        cursor = body["next_cursor"]
        if cursor is None:
            return numbers
        assert len(page) == limit


@pytest.mark.parametrize("sort", ["due", "-due"])
async def test_every_page_holds_the_old_order(client, hub, varied, sort) -> None:
    staff = await factories.login(client, varied.agent)
    expected = await _old_order(hub, sort)
    assert sorted(expected) == sorted(varied.numbers)  # every ticket, once
    for limit in (1, 4, 50):  # pages that end inside ties, across segments, and one page of all
        assert await _pages(client, staff, limit, sort=sort) == expected, limit


@pytest.mark.parametrize("sort", ["due", "-due"])
async def test_filtered_lists_hold_the_old_order(client, hub, varied, sort) -> None:
    staff = await factories.login(client, varied.agent)
    active = "AND t.status IN ('new', 'open', 'pending')"
    cases: list[tuple[dict[str, Any], str, dict[str, Any]]] = [
        ({"status": ["new", "open", "pending"]}, active, {}),
        ({"status": "closed"}, "AND t.status = 'closed'", {}),  # no clocks running: by number
        ({"status": ["resolved", "closed"]}, "AND t.status IN ('resolved', 'closed')", {}),
        ({"status": ["pending", "closed"]}, "AND t.status IN ('pending', 'closed')", {}),
        ({"organization": str(varied.acme.id)}, "AND t.organization_id = :org", {"org": varied.acme.id}),
        ({"tag": "vip"}, "AND t.tags @> ARRAY['vip']::text[]", {}),  # a rare tag: collected, sorted
        ({"assignee": str(uuid.uuid4())}, "AND false", {}),
    ]
    for params, where, values in cases:
        expected = await _old_order(hub, sort, where, **values)
        assert await _pages(client, staff, 3, sort=sort, **params) == expected, params
    assert await _old_order(hub, sort, active)  # the filters above are not all empty


async def test_the_second_page_starts_after_the_first_pages_last_row(client, hub, varied) -> None:
    """A ticket that moves ahead of the cursor after the first page is not shown twice (the keyset
    cursor names a place, not a count of rows)."""
    staff = await factories.login(client, varied.agent)
    expected = await _old_order(hub, "due")
    first = (await client.get(URL, params={"sort": "due", "limit": 5}, headers=staff)).json()
    assert [i["number"] for i in first["items"]] == expected[:5]
    async with hub.uow() as uow:  # the first page's first ticket is now due last of all
        await uow.session.execute(
            sa.text(
                "UPDATE ticket_sla SET first_response_state = 'active', first_response_due_at = :late, "
                "next_response_state = NULL, resolution_state = NULL "
                "WHERE ticket_id = (SELECT id FROM tickets WHERE number = :n)"
            ),
            {"late": BASE + timedelta(days=30), "n": expected[0]},
        )
        await uow.commit()
    second = await client.get(
        URL, params={"sort": "due", "limit": 5, "cursor": first["next_cursor"]}, headers=staff
    )
    assert [i["number"] for i in second.json()["items"]] == expected[5:10]


@pytest.mark.parametrize(
    "raw",
    ["d:1::x:5", "d:1::1:5", "d:2:5::5", "d:3::5:5", "d:4:1:1:5", "d:1:99999999999999999:1:5", "n:5", "x"],
)
async def test_a_cursor_it_did_not_write_is_refused(client, hub, raw) -> None:
    staff = await factories.login(client, await factories.user(hub, Role.AGENT))
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    response = await client.get(URL, params={"sort": "due", "cursor": cursor}, headers=staff)
    assert response.status_code == 400, (raw, response.text)


async def test_an_offset_cursor_of_the_same_order_is_still_read(client, hub, varied) -> None:
    """A page loaded before the keyset cursor (``o:<offset>``) still gets its next page."""
    staff = await factories.login(client, varied.agent)
    expected = await _old_order(hub, "due")
    cursor = base64.urlsafe_b64encode(b"o:4").decode().rstrip("=")
    response = await client.get(URL, params={"sort": "due", "limit": 4, "cursor": cursor}, headers=staff)
    assert [i["number"] for i in response.json()["items"]] == expected[4:8]


@pytest.mark.parametrize("sort", ["due", "-due"])
async def test_a_search_holds_the_old_order(client, hub, varied, sort) -> None:
    """A search in the SLA order gathers each segment's first rows, then sorts those."""
    staff = await factories.login(client, varied.agent)
    for word, where in (("invoice", "AND t.subject LIKE '%invoice%'"), ("ticket", "")):
        expected = await _old_order(hub, sort, where)
        assert await _pages(client, staff, 4, sort=sort, q=word) == expected, word
        closed = await _old_order(hub, sort, where + " AND t.status = 'closed'")
        assert await _pages(client, staff, 4, sort=sort, q=word, status="closed") == closed, word
