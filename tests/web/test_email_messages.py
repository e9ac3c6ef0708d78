"""A mail's full original is one click away: in the API (``meta.full_text``) and on the ticket page."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hub.domain import Role
from tests import factories
from tests.email_helpers import ingestor, mailbox

pytestmark = pytest.mark.anyio

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "email"


async def test_the_full_original_and_omitted_attachments_are_shown(client, hub) -> None:
    box = await mailbox(hub)
    agent = await factories.user(hub, Role.AGENT)
    email = await ingestor(hub)
    reply = await email.ingest(box.id, (CORPUS / "gmail_reply_zh.eml").read_bytes())
    headers = await factories.login(client, agent)
    ticket = (await client.get(f"/api/v1/tickets/{reply.ticket_id}", headers=headers)).json()
    (message,) = ticket["messages"]
    assert message["text"] == "好的，收到，谢谢你们！"
    assert (
        "写道：" in message["meta"]["full_text"]
        and message["meta"]["message_id"] == "<CAGmail-zh-1@mail.gmail.com>"
    )

    await client.post("/api/v1/auth/login", json={"email": agent.email, "password": factories.PASSWORD})
    page = await client.get(f"/tickets/{reply.ticket_id}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "查看完整原文" in page.text and "&gt; 您好，订单已于今天发货。" in page.text

    small = dataclasses.replace(
        hub, settings=dataclasses.replace(hub.settings, attachment_max_bytes=256 * 1024)
    )
    huge = await (await ingestor(small)).ingest(box.id, (CORPUS / "huge_attachment.eml").read_bytes())
    page = await client.get(f"/tickets/{huge.ticket_id}", headers={"Accept-Language": "zh-CN"})
    assert "附件 full.log（300.0 KB）超过大小上限" in page.text
