"""E-mail over TLS with a private CA (trustme), against real aiosmtpd servers on loopback:
replies leave over STARTTLS and implicit TLS with a login only the encrypted connection may
carry; a server whose certificate is not trusted fails the reply at once with the reason on the
message; the mail listener offers (and can require) STARTTLS."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import pytest
import sqlalchemy as sa

from channels.email.listener import server_tls_context, start_listener
from hub.core import Hub
from hub.delivery import delivery
from hub.domain import DeliveryStatus, OutboxStatus, Role
from hub.errors import InvalidInput
from hub.models import Message, Outbox, RawInbound
from hub.tickets import tickets
from tests import factories
from tests.certificates import TestCA, make_ca
from tests.conftest import HUB_EXECUTABLE, cli_env
from tests.email_helpers import ingestor, mail, mail_listener_command, mailbox
from tests.smtp_sink import SmtpSink
from web.runtime import Runtime

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

LOGIN = ("support@hub.example", "s3cret-over-tls")


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return make_ca(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    """Another CA: a server with its certificate is one we have no reason to trust."""
    return make_ca(tmp_path_factory.mktemp("tls-other"), "stranger")


@pytest.fixture
def smtp_password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HUB_TEST_SMTP_TLS_PW", LOGIN[1])
    return "HUB_TEST_SMTP_TLS_PW"


async def _reply_through(hub: Hub, sink: SmtpSink, mode: str, ca_file: Path, password_env: str) -> Message:
    box = await mailbox(
        hub,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_tls=mode,
        smtp_user=LOGIN[0],
        smtp_password_env=password_env,
        tls_ca_file=str(ca_file),
    )
    first = await (await ingestor(hub)).ingest(box.id, mail(subject="发票抬头"))
    agent = await factories.user(hub, Role.AGENT)
    return await tickets.reply(hub, factories.actor(agent), first.ticket_id, tickets.Draft(text="已修改。"))


async def _outbox(hub: Hub, message: Message) -> Outbox:
    async with hub.uow() as uow:
        row = await uow.session.scalar(sa.select(Outbox).where(Outbox.message_id == message.id))
        assert row is not None
        return row


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_a_reply_is_delivered_over_tls_with_a_login(
    hub: Hub, ca: TestCA, smtp_password: str, mode: str
) -> None:
    sink = await SmtpSink(credentials=LOGIN, tls=mode, certificate=ca.server_context()).start()
    try:
        reply = await _reply_through(hub, sink, mode, ca.ca_file, smtp_password)
        assert await delivery.deliver(hub, (await _outbox(hub, reply)).id) == "sent"
        (received,) = sink.received
        assert received.login == LOGIN[0] and received.rcpt_tos == ["wang@client.example"]
        assert received.message.get_body(("plain",)).get_content().strip() == "已修改。"
        # The password crossed the wire only inside TLS.
        assert sink.logins == [(LOGIN[0], True)]
    finally:
        await sink.close()
    stored = await factories.get(hub, Message, reply.id)
    assert stored.delivery_status is DeliveryStatus.SENT


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_an_untrusted_certificate_fails_the_reply_with_its_reason(
    hub: Hub, ca: TestCA, stranger: TestCA, smtp_password: str, mode: str
) -> None:
    sink = await SmtpSink(credentials=LOGIN, tls=mode, certificate=stranger.server_context()).start()
    try:
        # The mailbox trusts our test CA, not the one that signed this server's certificate.
        reply = await _reply_through(hub, sink, mode, ca.ca_file, smtp_password)
        outbox = await _outbox(hub, reply)
        assert await delivery.deliver(hub, outbox.id) == "failed"
        assert sink.received == [] and sink.logins == []  # nothing, the password least of all, was sent
    finally:
        await sink.close()
    stored = await factories.get(hub, Message, reply.id)
    assert stored.delivery_status is DeliveryStatus.FAILED
    assert "certificate" in stored.delivery_error and "not trusted" in stored.delivery_error
    assert "tls_ca_file" in stored.delivery_error
    assert (await _outbox(hub, reply)).status is OutboxStatus.FAILED  # not queued for another try


async def test_the_system_store_alone_does_not_trust_a_private_ca(
    hub: Hub, ca: TestCA, smtp_password: str
) -> None:
    """Without tls_ca_file the same server is refused: trust comes from configuration only."""
    sink = await SmtpSink(credentials=LOGIN, tls="tls", certificate=ca.server_context()).start()
    try:
        box = await mailbox(
            hub,
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            smtp_tls="tls",
            smtp_user=LOGIN[0],
            smtp_password_env=smtp_password,
        )
        first = await (await ingestor(hub)).ingest(box.id, mail())
        agent = await factories.user(hub, Role.AGENT)
        reply = await tickets.reply(hub, factories.actor(agent), first.ticket_id, tickets.Draft(text="hi"))
        assert await delivery.deliver(hub, (await _outbox(hub, reply)).id) == "failed"
    finally:
        await sink.close()
    stored = await factories.get(hub, Message, reply.id)
    assert "not trusted" in stored.delivery_error and sink.received == []


async def test_an_unreadable_ca_file_is_a_clear_failure(
    hub: Hub, ca: TestCA, tmp_path: Path, smtp_password: str
) -> None:
    sink = await SmtpSink(tls="tls", certificate=ca.server_context()).start()
    try:
        reply = await _reply_through(hub, sink, "tls", tmp_path / "missing-ca.pem", smtp_password)
        assert await delivery.deliver(hub, (await _outbox(hub, reply)).id) == "failed"
    finally:
        await sink.close()
    stored = await factories.get(hub, Message, reply.id)
    assert "missing-ca.pem" in stored.delivery_error and "tls_ca_file" in stored.delivery_error


# -- the listener -------------------------------------------------------------------------------


@pytest.fixture
async def tls_listener(runtime: Runtime, ca: TestCA) -> AsyncIterator[int]:
    server = await start_listener(
        runtime.hub,
        runtime.redis,
        port=0,
        hostname="hub.test",
        tls_context=server_tls_context(str(ca.cert_file), str(ca.key_file)),
        require_tls=True,
    )
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def _stored(hub: Hub) -> list[str]:
    async with hub.uow() as uow:
        return [r.message["subject"] for r in await uow.session.scalars(sa.select(RawInbound))]


async def test_the_listener_takes_mail_over_starttls(hub: Hub, ca: TestCA, tls_listener: int) -> None:
    await mailbox(hub, "support@hub.example")
    client = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=tls_listener, start_tls=True, tls_context=ca.client_context()
    )
    await client.connect()
    try:
        assert client.get_transport_info("ssl_object") is not None
        await client.mail("wang@client.example")
        await client.rcpt("support@hub.example")
        assert (await client.data(mail(subject="加密投递"))).code == 250
    finally:
        client.close()
    assert await _stored(hub) == ["加密投递"]


async def test_the_listener_refuses_mail_in_clear_when_tls_is_required(hub: Hub, tls_listener: int) -> None:
    await mailbox(hub, "support@hub.example")
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=tls_listener, start_tls=False)
    await client.connect()
    try:
        ehlo = await client.ehlo()
        assert "STARTTLS" in ehlo.message
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
            await client.mail("wang@client.example")
        assert refused.value.code == 530
    finally:
        client.close()
    assert await _stored(hub) == []


async def test_hub_mail_listener_command_with_a_certificate(runtime: Runtime, hub: Hub, ca: TestCA) -> None:
    await mailbox(hub, "support@hub.example")
    options = ("--tls-cert", str(ca.cert_file), "--tls-key", str(ca.key_file), "--require-tls")
    async with mail_listener_command(runtime, *options) as (port, line):
        assert "STARTTLS required" in line, line
        sent = await aiosmtplib.send(
            mail(subject="via the command, encrypted"),
            sender="wang@client.example",
            recipients=["support@hub.example"],
            hostname="127.0.0.1",
            port=port,
            start_tls=True,
            tls_context=ca.client_context(),
        )
        assert "Stored" in sent[1]
        assert await _stored(hub) == ["via the command, encrypted"]


async def test_hub_mail_listener_refuses_a_missing_certificate(runtime: Runtime, tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        HUB_EXECUTABLE, "mail-listener", "--port", "0", "--require-tls",
        env=cli_env(runtime.settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2 and b"--tls-cert" in err


def test_server_tls_context_reads_the_key_from_the_certificate_file(ca: TestCA, tmp_path: Path) -> None:
    both = tmp_path / "both.pem"
    both.write_bytes(ca.cert_file.read_bytes() + ca.key_file.read_bytes())
    assert isinstance(server_tls_context(str(both)), ssl.SSLContext)


async def test_tls_ca_file_must_be_an_absolute_path(hub: Hub) -> None:
    """Workers on other hosts read it: a path relative to where a command was typed means nothing."""
    with pytest.raises(InvalidInput, match="tls_ca_file: must be an absolute file path"):
        await mailbox(hub, tls_ca_file="certs/company-ca.pem")


async def test_implicit_tls_to_a_plain_port_fails_with_a_hint(
    hub: Hub, ca: TestCA, smtp_password: str
) -> None:
    """smtp_tls=tls against a server that speaks plain SMTP (a port mix-up): no retry will help."""
    sink = await SmtpSink().start()
    try:
        reply = await _reply_through(hub, sink, "tls", ca.ca_file, smtp_password)
        assert await delivery.deliver(hub, (await _outbox(hub, reply)).id) == "failed"
    finally:
        await sink.close()
    stored = await factories.get(hub, Message, reply.id)
    assert "TLS with the SMTP server" in stored.delivery_error
    assert "check smtp_tls and smtp_port" in stored.delivery_error
