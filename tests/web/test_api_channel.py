"""The API channel's inbound endpoint: token auth, idempotency, threading, attachments, and raw-first
processing whose failures stay visible and can be retried with `hub inbound retry`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from channels import catalogue
from hub.actors import CLI
from hub.core import Hub
from hub.domain import RawStatus, Role
from hub.intake import channel_instances, ingest, message_size
from hub.intake.inbound import InboundMessage, Sender
from hub.models import Attachment, Contact, Message, RawInbound, Ticket
from tests import factories
from tests.cli import run_hub
from web.app import create_app
from web.runtime import Runtime

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def url(channel_id: uuid.UUID) -> str:
    return f"/api/v1/channels/{channel_id}/messages"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def message(external_id: str = "m-1", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": external_id,
        "sender": {"identity": "crm:contact-42", "name": "王小明"},
        "text": "订单 1001 什么时候发货？",
    }
    body.update(fields)
    return body


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """RFC 9457 problem details with our machine-readable code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    return body


async def counts(hub: Hub) -> dict[str, int]:
    return {
        model.__tablename__: await factories.count(hub, model)
        for model in (RawInbound, Ticket, Message, Contact, Attachment)
    }


async def login(client: AsyncTestClient, hub: Hub) -> dict[str, str]:
    agent = await factories.user(hub, Role.AGENT)
    response = await client.post(
        "/api/v1/auth/login", json={"email": agent.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 200, response.text
    return bearer(response.json()["token"])


@contextlib.asynccontextmanager
async def client_with(runtime: Runtime, **settings: Any) -> AsyncIterator[AsyncTestClient]:
    app = create_app(dataclasses.replace(runtime.settings, **settings))
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture
async def api(hub: Hub) -> factories.ApiChannel:
    return await factories.api_channel(hub)


async def test_a_message_opens_a_ticket_and_a_replay_changes_nothing(
    hub: Hub, client: AsyncTestClient, api: factories.ApiChannel
) -> None:
    first = await client.post(url(api.channel.id), json=message(), headers=bearer(api.token))
    assert first.status_code == 200, first.text
    created = first.json()
    assert created.keys() == {"ticket_id", "message_id", "duplicate"} and created["duplicate"] is False
    before = await counts(hub)

    again = await client.post(url(api.channel.id), json=message(), headers=bearer(api.token))
    assert again.status_code == 200, again.text
    assert again.json() == {**created, "duplicate": True}
    assert await counts(hub) == before


async def test_concurrent_deliveries_of_one_message_store_it_once(
    hub: Hub, api: factories.ApiChannel
) -> None:
    inbound = InboundMessage(
        channel_id=api.channel.id, external_id="m-race", sender=Sender("crm:contact-9"), text="hello"
    )
    results = await asyncio.gather(*(ingest.ingest(hub, inbound) for _ in range(5)))
    assert len({(r.ticket_id, r.message_id) for r in results}) == 1
    assert sorted(r.duplicate for r in results) == [False, True, True, True, True]
    assert await factories.count(hub, Message) == 1


async def test_thread_ref_joins_its_ticket_and_a_new_one_opens_a_new_ticket(
    client: AsyncTestClient, api: factories.ApiChannel
) -> None:
    async def post(external_id: str, thread_ref: str) -> dict[str, Any]:
        response = await client.post(
            url(api.channel.id), json=message(external_id, thread_ref=thread_ref), headers=bearer(api.token)
        )
        assert response.status_code == 200, response.text
        return response.json()

    first = await post("m-1", "conversation-A")
    follow_up = await post("m-2", "conversation-A")
    assert follow_up["ticket_id"] == first["ticket_id"]
    assert follow_up["message_id"] != first["message_id"] and follow_up["duplicate"] is False

    # Same sender, minutes later, but the integration names another conversation: a new ticket.
    other = await post("m-3", "conversation-B")
    assert other["ticket_id"] != first["ticket_id"]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param(bearer("hub_ch_not-the-token"), id="wrong"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="not-bearer"),
    ],
)
async def test_a_missing_or_wrong_token_is_401(
    hub: Hub, client: AsyncTestClient, api: factories.ApiChannel, headers: dict[str, str]
) -> None:
    response = await client.post(url(api.channel.id), json=message(), headers=headers)
    problem(response, 401, "invalid_channel_token")
    assert await factories.count(hub, RawInbound) == 0


async def test_another_channels_token_is_401(
    hub: Hub, client: AsyncTestClient, api: factories.ApiChannel
) -> None:
    other = await factories.api_channel(hub)
    problem(
        await client.post(url(api.channel.id), json=message(), headers=bearer(other.token)),
        401,
        "invalid_channel_token",
    )
    problem(
        await client.post(url(uuid.uuid4()), json=message(), headers=bearer(api.token)),
        401,
        "invalid_channel_token",
    )


async def post_raw(client: AsyncTestClient, channel_id: uuid.UUID, body: bytes, token: str) -> httpx.Response:
    """The body as the bytes given, so the endpoint meets what is not (or not yet) JSON."""
    return await client.post(
        url(channel_id), content=body, headers={**bearer(token), "Content-Type": "application/json"}
    )


async def test_the_token_is_checked_before_the_body_is_read(
    client: AsyncTestClient, api: factories.ApiChannel
) -> None:
    response = await post_raw(client, api.channel.id, b"{not json", "hub_ch_wrong")
    problem(response, 401, "invalid_channel_token")


async def test_a_disabled_channel_is_403(
    hub: Hub, client: AsyncTestClient, api: factories.ApiChannel
) -> None:
    await channel_instances.update_channel(hub, CLI, api.channel.id, is_active=False)
    response = await client.post(url(api.channel.id), json=message(), headers=bearer(api.token))
    problem(response, 403, "channel_inactive")
    assert await factories.count(hub, RawInbound) == 0


async def test_malformed_json_is_400_with_a_clear_message(
    client: AsyncTestClient, api: factories.ApiChannel
) -> None:
    response = await post_raw(client, api.channel.id, b'{"external_id": "m-1", "sender": ', api.token)
    detail = problem(response, 400, "http_400")["detail"]
    assert detail == "The request body is not valid JSON: Input data was truncated"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param(
            {"sender": {"identity": "x"}, "text": "hi"},
            "Invalid input: Object missing required field `external_id`",
            id="no-external-id",
        ),
        pytest.param(
            {"external_id": "m-1", "sender": {}},
            "Invalid input: sender: Object missing required field `identity`",
            id="no-identity",
        ),
        pytest.param(
            {"external_id": 7, "sender": {"identity": "x"}},
            "Invalid input: external_id: Expected `str`, got `int`",
            id="wrong-type",
        ),
    ],
)
async def test_missing_or_mistyped_fields_are_422_naming_the_field(
    client: AsyncTestClient, api: factories.ApiChannel, body: dict[str, Any], detail: str
) -> None:
    response = await client.post(url(api.channel.id), json=body, headers=bearer(api.token))
    assert problem(response, 422, "invalid_input")["detail"] == detail


async def test_base64_attachments_are_stored_and_shown_on_the_ticket(
    runtime: Runtime, hub: Hub, client: AsyncTestClient, api: factories.ApiChannel
) -> None:
    invoice = "发票 #1001\n".encode() * 100
    posted = await client.post(
        url(api.channel.id),
        json=message(
            text="",
            attachments=[
                {
                    "filename": "发票.txt",
                    "content_type": "text/plain; charset=utf-8",
                    "data_base64": base64.b64encode(invoice).decode(),
                },
                {"filename": "blob.bin", "data_base64": base64.b64encode(b"\x00\x01\x02").decode()},
            ],
        ),
        headers=bearer(api.token),
    )
    assert posted.status_code == 200, posted.text

    ticket = await client.get(
        f"/api/v1/tickets/{posted.json()['ticket_id']}", headers=await login(client, hub)
    )
    assert ticket.status_code == 200, ticket.text
    [shown] = ticket.json()["messages"]
    assert [(a["filename"], a["content_type"], a["size"]) for a in shown["attachments"]] == [
        ("发票.txt", "text/plain; charset=utf-8", len(invoice)),
        ("blob.bin", "application/octet-stream", 3),
    ]
    async with hub.uow() as uow:
        digests = list(
            await uow.session.scalars(sa.select(Attachment.sha256).order_by(Attachment.size.desc()))
        )
    assert hub.storage.get(digests[0]) == invoice and hub.storage.get(digests[1]) == b"\x00\x01\x02"


async def post_attachment(
    client: AsyncTestClient, api: factories.ApiChannel, filename: str, data_base64: str
) -> httpx.Response:
    """A message carrying one attachment, for the tests of the size limits."""
    return await client.post(
        url(api.channel.id),
        json=message(attachments=[{"filename": filename, "data_base64": data_base64}]),
        headers=bearer(api.token),
    )


async def test_an_attachment_over_the_limit_is_422_and_nothing_is_stored(
    runtime: Runtime, hub: Hub, api: factories.ApiChannel
) -> None:
    async with client_with(runtime, attachment_max_bytes=1000) as client:
        response = await post_attachment(client, api, "big.pdf", base64.b64encode(b"x" * 1001).decode())
    assert "big.pdf" in problem(response, 422, "invalid_input")["detail"]
    assert await counts(hub) == dict.fromkeys(
        ["raw_inbound", "tickets", "messages", "contacts", "attachments"], 0
    )
    assert not any(path.is_file() for path in runtime.settings.attachments_dir.rglob("*"))


async def test_an_attachment_within_the_default_limit_is_accepted(
    hub: Hub, client: AsyncTestClient, api: factories.ApiChannel
) -> None:
    # 8 MB is well under HUB_ATTACHMENT_MAX_BYTES (25 MB), but its base64 body is over 10 MB.
    scan = bytes(range(256)) * (8 * 1024 * 1024 // 256)
    response = await post_attachment(client, api, "scan.tiff", base64.b64encode(scan).decode())
    assert response.status_code == 200, response.text
    async with hub.uow() as uow:
        assert await uow.session.scalar(sa.select(Attachment.size)) == len(scan)


async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    runtime: Runtime, hub: Hub, api: factories.ApiChannel
) -> None:
    async with client_with(runtime, attachment_max_bytes=1000) as client:
        response = await post_attachment(client, api, "huge.bin", "QUFB" * (1024 * 1024))
    problem(response, 413, "http_413")
    assert await factories.count(hub, RawInbound) == 0


async def test_an_empty_message_is_422(hub: Hub, client: AsyncTestClient, api: factories.ApiChannel) -> None:
    response = await client.post(url(api.channel.id), json=message(text="  \n"), headers=bearer(api.token))
    problem(response, 422, "invalid_input")
    assert await factories.count(hub, RawInbound) == 0


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        pytest.param(
            {"sender": {"identity": "crm:" + "x" * 400}},
            "sender identity is longer than 320",
            id="identity-too-long",
        ),
        pytest.param({"thread_ref": "t" * 501}, "thread_ref is longer than 500", id="thread-ref-too-long"),
    ],
)
async def test_what_could_never_be_processed_is_refused_up_front(
    hub: Hub, client: AsyncTestClient, api: factories.ApiChannel, fields: dict[str, Any], says: str
) -> None:
    """Stored raw, it would only fail on every retry."""
    response = await client.post(url(api.channel.id), json=message(**fields), headers=bearer(api.token))
    assert says in problem(response, 422, "invalid_input")["detail"]
    assert await factories.count(hub, RawInbound) == 0


@contextlib.asynccontextmanager
async def ticket_numbers_exhausted(runtime: Runtime) -> AsyncIterator[None]:
    """A real failure after the raw row is stored: the database refuses to number another ticket."""
    async with runtime.engine.begin() as connection:
        last = await connection.scalar(sa.text("SELECT last_value FROM ticket_number_seq"))
        await connection.execute(sa.text(f"ALTER SEQUENCE ticket_number_seq MAXVALUE {int(last)}"))
    try:
        yield
    finally:
        await restore_ticket_numbers(runtime)


async def restore_ticket_numbers(runtime: Runtime) -> None:
    async with runtime.engine.begin() as connection:
        await connection.execute(sa.text("ALTER SEQUENCE ticket_number_seq NO MAXVALUE"))


async def test_a_processing_failure_keeps_the_raw_message_for_hub_inbound_retry(
    runtime: Runtime, hub: Hub, client: AsyncTestClient, api: factories.ApiChannel, tmp_path: Path
) -> None:
    await factories.inbound(hub, api.channel.id, sender="crm:someone-else")  # uses a ticket number
    async with ticket_numbers_exhausted(runtime):
        response = await client.post(url(api.channel.id), json=message("m-fails"), headers=bearer(api.token))
        body = problem(response, 500, "ingest_failed")
        raw_id = uuid.UUID(body["raw_id"])
        assert body["detail"] == (
            "The message was stored but could not be processed: an internal error. It can be retried."
        ), "no database internals (statement, other people's data) leak out"

        async with hub.uow() as uow:
            raw = await uow.session.get(RawInbound, raw_id)
        assert raw is not None and raw.status is RawStatus.FAILED and raw.attempts == 1
        assert raw.external_id == "m-fails" and "ticket_number_seq" in (raw.error or "")
        listed = await run_hub(runtime, tmp_path, "inbound", "failed")
        assert str(raw_id) in listed.stdout

        still = await run_hub(runtime, tmp_path, "inbound", "retry")
        assert still.returncode == 1 and str(raw_id) in still.stderr
        assert "ticket_number_seq" in still.stderr, "the operator sees the cause"

    retried = await run_hub(runtime, tmp_path, "inbound", "retry")
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.strip() == "1 processed"
    async with hub.uow() as uow:
        raw = await uow.session.get(RawInbound, raw_id)
    assert raw is not None and raw.status is RawStatus.PROCESSED and raw.error is None and raw.ticket_id

    replay = await client.post(url(api.channel.id), json=message("m-fails"), headers=bearer(api.token))
    assert replay.json() == {
        "ticket_id": str(raw.ticket_id),
        "message_id": str(raw.message_id),
        "duplicate": True,
    }


@pytest.mark.parametrize(
    ("text", "size"),
    [
        pytest.param("x" * 1_000_000, 1_000_000, id="one 1 MB line"),
        pytest.param("退货" * 100_000, 600_000, id="200,000 Chinese characters"),
    ],
)
async def test_a_message_past_the_channels_limit_keeps_its_whole_text_as_an_attachment(
    hub: Hub, client: AsyncTestClient, text: str, size: int
) -> None:
    erp = await factories.api_channel(hub)
    agent = await factories.login(client, await factories.user(hub, Role.AGENT))
    posted = await client.post(url(erp.channel.id), json=message(text=text), headers=bearer(erp.token))
    assert posted.status_code == 200, posted.text
    ticket = (await client.get(f"/api/v1/tickets/{posted.json()['ticket_id']}", headers=agent)).json()
    (shown,) = ticket["messages"]
    limit = catalogue.spec("api").body_limit
    assert shown["text"] == text[:limit]
    assert shown["meta"]["truncated"] == {
        "chars": len(text),
        "kept": limit,
        "attachment": message_size.FULL_TEXT_FILENAME,
    }
    (whole,) = shown["attachments"]
    assert (whole["filename"], whole["size"]) == (message_size.FULL_TEXT_FILENAME, size)
    downloaded = await client.get(whole["url"], headers=agent)
    assert downloaded.status_code == 200 and downloaded.content.decode("utf-8") == text, "nothing is lost"


async def test_a_message_within_the_limit_is_kept_as_it_came(hub: Hub, client: AsyncTestClient) -> None:
    erp = await factories.api_channel(hub)
    text = "y" * catalogue.spec("api").body_limit
    posted = await client.post(url(erp.channel.id), json=message(text=text), headers=bearer(erp.token))
    stored = await factories.get(hub, Message, uuid.UUID(posted.json()["message_id"]))
    assert stored.text == text and "truncated" not in stored.meta
