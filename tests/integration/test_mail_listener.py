"""The SMTP/LMTP listener (direct delivery), driven by aiosmtplib as a sending MTA would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiosmtplib
import pytest
import sqlalchemy as sa
from aiosmtplib import SMTPResponse

from channels.email.listener import start_listener
from hub.core import Hub
from hub.models import Message, RawInbound
from tests.broken_messages import accept_inserts, refuse_inserts
from tests.email_helpers import mail, mail_listener_command, mailbox
from web.runtime import Runtime

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
async def smtp_port(runtime: Runtime) -> AsyncIterator[int]:
    server = await start_listener(runtime.hub, runtime.redis, port=0, hostname="hub.test")
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def lmtp_port(runtime: Runtime) -> AsyncIterator[int]:
    server = await start_listener(runtime.hub, runtime.redis, port=0, lmtp=True, hostname="hub.test")
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def raw_count(hub: Hub) -> int:
    async with hub.uow() as uow:
        return int(await uow.session.scalar(sa.select(sa.func.count()).select_from(RawInbound)) or 0)


async def message_count(hub: Hub) -> int:
    async with hub.uow() as uow:
        return int(await uow.session.scalar(sa.select(sa.func.count()).select_from(Message)) or 0)


async def deliver(port: int, raw: bytes, recipients: list[str]) -> SMTPResponse:
    """Send one mail; the DATA answer (or the first refusal) comes back instead of raising."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
    await client.connect()
    try:
        await client.ehlo()
        await client.mail("wang@client.example")
        for recipient in recipients:
            answer = await client.rcpt(recipient)
            assert answer.code == 250
        return await client.data(raw)
    finally:
        client.close()


async def test_250_only_after_the_mail_is_stored(hub: Hub, smtp_port: int) -> None:
    channel = await mailbox(hub, "support@hub.example")
    answer = await deliver(smtp_port, mail(subject="直接投递"), ["support@hub.example"])
    assert answer.code == 250
    # Checked right after the answer: no waiting, the mail is already in the database.
    async with hub.uow() as uow:
        rows = list(await uow.session.scalars(sa.select(RawInbound)))
    assert [(r.channel_id, r.message["subject"]) for r in rows] == [(channel.id, "直接投递")]
    assert await message_count(hub) == 1


async def test_plus_token_addresses_are_ours(hub: Hub, smtp_port: int) -> None:
    await mailbox(hub, "support@hub.example")
    answer = await deliver(smtp_port, mail(), ["Support+t123abc@hub.example"])
    assert answer.code == 250
    assert await raw_count(hub) == 1


async def test_unknown_recipient_gets_550(hub: Hub, smtp_port: int) -> None:
    await mailbox(hub, "support@hub.example")
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port, start_tls=False)
    await client.connect()
    try:
        await client.ehlo()
        await client.mail("wang@client.example")
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as refused:
            await client.rcpt("sales@hub.example")
        assert refused.value.code == 550
        assert "5.1.1" in refused.value.message
    finally:
        client.close()
    assert await raw_count(hub) == 0


async def test_storage_failure_answers_451_and_the_retry_is_stored(
    runtime: Runtime, hub: Hub, smtp_port: int
) -> None:
    await mailbox(hub, "support@hub.example")
    raw = mail(subject="retried by the sender")
    await refuse_inserts(runtime, "raw_inbound", "could not extend file: No space left on device")
    try:
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await deliver(smtp_port, raw, ["support@hub.example"])
        assert refused.value.code == 451
        assert "4.3.0" in refused.value.message
    finally:
        await accept_inserts(runtime, "raw_inbound")
    assert await raw_count(hub) == 0
    # The sender retries once the database takes writes again.
    assert (await deliver(smtp_port, raw, ["support@hub.example"])).code == 250
    assert await message_count(hub) == 1


async def test_the_same_mail_twice_is_one_message(hub: Hub, smtp_port: int) -> None:
    await mailbox(hub, "support@hub.example")
    await mailbox(hub, "sales@hub.example")
    raw = mail(subject="sent twice, and to two of our mailboxes")
    assert (await deliver(smtp_port, raw, ["support@hub.example", "sales@hub.example"])).code == 250
    assert (await deliver(smtp_port, raw, ["support@hub.example"])).code == 250
    assert await raw_count(hub) == 1
    assert await message_count(hub) == 1


async def test_lmtp_with_aiosmtplib(hub: Hub, lmtp_port: int) -> None:
    await mailbox(hub, "support@hub.example")
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=lmtp_port, start_tls=False)
    await client.connect()
    try:
        greeting = await client.execute_command(b"LHLO", b"mta.test")
        assert greeting.code == 250
        client.last_ehlo_response = greeting  # LHLO is LMTP's EHLO
        await client.mail("wang@client.example")
        await client.rcpt("support@hub.example")
        assert (await client.data(mail(subject="LMTP"))).code == 250
    finally:
        client.close()
    assert await message_count(hub) == 1


async def test_lmtp_answers_once_per_recipient(hub: Hub, lmtp_port: int) -> None:
    """aiosmtplib reads one answer to DATA; LMTP sends one per recipient, so this speaks it by hand."""
    await mailbox(hub, "support@hub.example")
    await mailbox(hub, "sales@hub.example")
    reader, writer = await asyncio.open_connection("127.0.0.1", lmtp_port)

    async def answer() -> bytes:
        lines = [await reader.readline()]
        while lines[-1][3:4] == b"-":
            lines.append(await reader.readline())
        return lines[-1]

    try:
        assert (await answer()).startswith(b"220")
        for command in (b"LHLO mta.test", b"MAIL FROM:<wang@client.example>"):
            writer.write(command + b"\r\n")
            assert (await answer()).startswith(b"250")
        for rcpt in (b"support@hub.example", b"nobody@hub.example", b"sales@hub.example"):
            writer.write(b"RCPT TO:<" + rcpt + b">\r\n")
            assert (await answer())[:3] == (b"550" if rcpt.startswith(b"nobody") else b"250")
        writer.write(b"DATA\r\n")
        assert (await answer()).startswith(b"354")
        writer.write(mail(subject="two recipients").replace(b"\n", b"\r\n") + b".\r\n")
        answers = [await asyncio.wait_for(answer(), 10), await asyncio.wait_for(answer(), 10)]
        assert all(a.startswith(b"250 2.0.0") for a in answers), answers
    finally:
        writer.close()
        await writer.wait_closed()
    assert await message_count(hub) == 1


async def test_hub_mail_listener_command(runtime: Runtime, hub: Hub) -> None:
    await mailbox(hub, "support@hub.example")
    async with mail_listener_command(runtime) as (port, _):
        assert (await deliver(port, mail(subject="via the command"), ["support@hub.example"])).code == 250
        assert await message_count(hub) == 1
