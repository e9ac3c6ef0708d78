"""NUL never reaches PostgreSQL from a channel: mail files, and payloads kept as unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.domain import ChannelKind, RawStatus
from hub.intake.ingest import failed_inbound, keep_unreadable
from hub.models import Message, Ticket
from tests import factories

pytestmark = pytest.mark.anyio


async def test_an_unreadable_payload_with_nul_in_its_key_and_reason_is_kept(hub: Hub) -> None:
    chan = await factories.channel(hub, ChannelKind.WECHAT)
    kept = await keep_unreadable(
        hub, chan.id, external_id="rejected:\x00abc", payload=b"<xml>\x00", reason="bad token '\x00' at 1"
    )
    assert kept.new
    (row,) = await failed_inbound(hub, status=RawStatus.REJECTED)
    assert (row.error, row.payload) == ("bad token '' at 1", b"<xml>\x00")


async def test_a_mail_file_full_of_nul_is_imported_without_them(hub: Hub, run_cli, tmp_path: Path) -> None:
    added = await run_cli(
        "channel", "add", "email", "--name", "nul", "--address", "support@hub.example",
        "--smtp-host", "smtp.hub.example", "--json",
    )  # fmt: skip
    assert added.code == 0, added.err
    channel_id = json.loads(added.out.strip().splitlines()[-1])["id"]
    mail = tmp_path / "nul.eml"
    mail.write_bytes(
        b"From: Wang\x00 Fang <wang@client.example>\r\nTo: support@hub.example\r\n"
        b"Subject: in\x00voice\r\nMessage-ID: <nul\x00@client.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nhello\x00 world\r\n"
    )
    result = await run_cli("ingest", "email", str(mail), "--channel", channel_id, "--json")
    assert result.code == 0, result.out + result.err
    assert json.loads(result.out.strip().splitlines()[-1])["created"] == 1
    async with hub.uow() as uow:
        subject, text = (
            await uow.session.execute(sa.select(Ticket.subject, Message.text).join(Message))
        ).one()
    assert "\x00" not in subject + text and subject == "invoice" and text.startswith("hello world")
