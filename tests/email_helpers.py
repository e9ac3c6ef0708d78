"""Mailbox channels and mails for the e-mail tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from channels.email.ingest import EmailIngest
from hub.actors import CLI
from hub.core import Hub
from hub.domain import ChannelKind
from hub.intake import channel_instances
from hub.models import Channel
from tests.conftest import HUB_EXECUTABLE, cli_env
from web.runtime import Runtime

_seq = itertools.count(1)


async def mailbox(hub: Hub, address: str = "support@hub.example", **config: object) -> Channel:
    created = await channel_instances.add_channel(
        hub,
        CLI,
        kind=ChannelKind.EMAIL,
        name=f"mailbox {next(_seq)}",
        config={"address": address, **config},
    )
    return created.channel


def mail(
    *,
    sender: str = "wang@client.example",
    to: str = "support@hub.example",
    subject: str = "我的订单还没有发货",
    text: str = "订单 A-1001 还没有发货。",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    message["Message-ID"] = message_id or f"<m{next(_seq)}@client.example>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return message.as_bytes()


async def ingestor(hub: Hub, claims: object = None) -> EmailIngest:
    return await EmailIngest.create(hub, claims)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def mail_listener_command(runtime: Runtime, *options: str) -> AsyncIterator[tuple[int, str]]:
    """``hub mail-listener`` on a free loopback port, as an operator runs it: yields the port and
    the line it printed once listening; stopped with SIGTERM afterwards, which must end it cleanly."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        HUB_EXECUTABLE, "mail-listener", "--host", "127.0.0.1", "--port", str(port), *options,
        env=cli_env(runtime.settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
        assert f"127.0.0.1:{port}" in line, line
        yield port, line
    finally:
        process.terminate()
        await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
