"""No input answers 500: NUL characters, deep JSON and forged cursors are refused (or dropped) at the edge.

Each case was a 500 once: PostgreSQL refuses NUL in text, a recursive decoder ran out of stack on
``[`` × 100,000, and a cursor's number overflowed the driver.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from hub.core import Hub
from hub.domain import ChannelKind, Role
from hub.models import Message, RawInbound
from tests import factories
from tests.web.helpers import Cast, assert_problem
from web.edge import MAX_JSON_DEPTH, nested_too_deep

pytestmark = pytest.mark.anyio

NUL = "a\u0000b"


async def _ticket(hub: Hub) -> uuid.UUID:
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    return (await factories.inbound(hub, channel.id)).ticket_id


def _nul_requests(ticket: uuid.UUID, team: uuid.UUID) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Every endpoint the probe found answering 500 to a NUL: (method, path, request keywords)."""
    return {
        "tags": ("post", f"/api/v1/tickets/{ticket}/tags", {"json": {"add": [NUL]}}),
        "requirement": ("post", f"/api/v1/tickets/{ticket}/requirements", {"json": {"content": NUL}}),
        "handoff": (
            "post",
            f"/api/v1/tickets/{ticket}/handoffs",
            {"json": {"team_id": str(team), "note": NUL}},
        ),
        "assign reason": (
            "post",
            f"/api/v1/tickets/{ticket}/assign",
            {"json": {"assignee_id": None, "reason": NUL}},
        ),
        "escalate reason": ("post", f"/api/v1/tickets/{ticket}/escalate", {"json": {"reason": NUL}}),
        "organization": ("post", "/api/v1/organizations", {"json": {"name": NUL, "kind": "partner"}}),
        "team": ("post", "/api/v1/teams", {"json": {"name": NUL}}),
        "user": (
            "post",
            "/api/v1/users",
            {"json": {"email": "x@example.com", "name": NUL, "role": "agent"}},
        ),
        "token": ("post", "/api/v1/auth/tokens", {"json": {"name": NUL}}),
        "sla policy": ("post", "/api/v1/sla-policies", {"json": {"name": NUL}}),
        "contacts query": ("get", "/api/v1/contacts", {"params": {"q": NUL}}),
        "tickets tag": ("get", "/api/v1/tickets", {"params": {"tag": NUL}}),
        "inbox search": ("get", "/inbox/rows", {"params": {"q": NUL}}),
    }


NUL_CASES = list(_nul_requests(uuid.UUID(int=0), uuid.UUID(int=0)))


@pytest.mark.parametrize("case", NUL_CASES)
async def test_a_nul_in_an_identifier_reason_or_query_is_refused_in_the_readers_language(
    client: AsyncTestClient, hub: Hub, cast: Cast, case: str
) -> None:
    ticket = await _ticket(hub)
    team = await factories.team(hub)
    method, path, keywords = _nul_requests(ticket, team.id)[case]
    for language, words in (("en", "NUL character"), ("zh-CN", "NUL 字符")):
        headers = {**cast.as_(Role.ADMIN), "Accept-Language": language}
        response = await client.request(method.upper(), path, headers=headers, **keywords)
        if path.startswith("/inbox"):  # a page answers a page, saying the same
            assert response.status_code == 422 and words in response.text, response.text
        else:
            assert words in assert_problem(response, 422, "nul_character")["detail"]


async def test_a_nul_in_a_path_matches_no_route(client: AsyncTestClient, cast: Cast) -> None:
    """No path parameter takes free text; the edge refuses a NUL in one all the same if one ever does."""
    response = await client.get("/api/v1/tickets/a%00b", headers=cast.as_(Role.ADMIN))
    assert_problem(response, 404, "http_404")


async def test_a_nul_in_the_login_email_is_refused_without_logging_in(client: AsyncTestClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": NUL, "password": "secret"})
    assert_problem(response, 422, "nul_character")


async def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(
    client: AsyncTestClient, cast: Cast
) -> None:
    response = await client.post(
        "/api/v1/auth/tokens", content=b'{"name": "C:\\\\u0000"}', headers=cast.as_(Role.ADMIN)
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "C:\\u0000"


@pytest.mark.parametrize("endpoint", ["reply", "notes"])
async def test_message_text_loses_its_nul_as_every_channel_does(
    client: AsyncTestClient, hub: Hub, cast: Cast, endpoint: str
) -> None:
    ticket = await _ticket(hub)
    response = await client.post(
        f"/api/v1/tickets/{ticket}/{endpoint}",
        json={"text": "hello\u0000 world"},
        headers=cast.as_(Role.AGENT),
    )
    assert response.status_code == 201, response.text
    stored = await factories.get(hub, Message, uuid.UUID(response.json()["id"]))
    assert stored.text == "hello world"


async def test_the_api_channel_stores_its_message_without_the_nul_and_its_bytes_as_sent(
    client: AsyncTestClient, hub: Hub
) -> None:
    api = await factories.api_channel(hub)
    response = await client.post(
        f"/api/v1/channels/{api.channel.id}/messages",
        json={"external_id": "nul-1", "sender": {"identity": "c@example.com"}, "text": "hi\u0000 there"},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 200, response.text
    stored = await factories.get(hub, Message, uuid.UUID(response.json()["message_id"]))
    assert stored.text == "hi there"
    async with hub.uow() as uow:
        payload = await uow.session.scalar(
            sa.select(RawInbound.payload).where(RawInbound.external_id == "nul-1")
        )
    assert payload is not None and b"hi\\u0000 there" in payload, "the caller's bytes are kept as sent"


@pytest.mark.parametrize("opening", ["[", '{"a":'])
async def test_deeply_nested_json_is_refused_before_decoding_even_without_login(
    client: AsyncTestClient, opening: str
) -> None:
    body = (opening * 100_000).encode()
    response = await client.post(
        "/api/v1/auth/login",
        content=body,
        headers={"Content-Type": "application/json", "Accept-Language": "zh-CN"},
    )
    problem = assert_problem(response, 400, "json_too_deep")
    assert str(MAX_JSON_DEPTH) in problem["detail"] and "嵌套" in problem["detail"]


def test_depth_counts_brackets_outside_strings_only() -> None:
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    assert nested_too_deep(deep.encode())
    assert not nested_too_deep(("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode())
    assert not nested_too_deep(b'{"text": "' + b"[{" * 10_000 + b'\\" ]"}')
    assert not nested_too_deep(b'{"a": [1, 2')  # shallow but cut short: left to the decoder to name
    assert nested_too_deep(b"[" * 100_000)


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GARBAGE_CURSORS = [
    _cursor(b"n:" + b"9" * 23),
    _cursor(b"n:9223372036854775808"),
    _cursor(b"n:-1"),
    _cursor(b"n: 1_0"),
    _cursor(b"c:2026-01-01|x"),
    _cursor(b"\xff\xfe"),
    "!!!not base64!!!",
    "n",
]


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
async def test_a_forged_ticket_cursor_is_a_bad_request_in_the_api_and_the_inbox(
    client: AsyncTestClient, cast: Cast, cursor: str
) -> None:
    response = await client.get("/api/v1/tickets", params={"cursor": cursor}, headers=cast.as_(Role.AGENT))
    assert_problem(response, 400, "bad_cursor")
    rows = await client.get("/inbox/rows", params={"cursor": cursor}, headers=cast.as_(Role.AGENT))
    assert rows.status_code == 400, rows.text


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(b"c:2026-01-01T00:00:00|00000000-0000-4000-8000-000000000001"),
        _cursor(b"c:99999-01-01|x"),
        "%%",
    ],
    ids=["naive time", "year 99999", "not base64"],
)
async def test_a_forged_contact_cursor_is_a_bad_request(
    client: AsyncTestClient, cast: Cast, cursor: str
) -> None:
    response = await client.get("/api/v1/contacts", params={"cursor": cursor}, headers=cast.as_(Role.AGENT))
    assert_problem(response, 400, "bad_cursor")
