"""The callback over HTTP: URL check, signatures, plain/compatible/safe modes, replays, refusals."""

from __future__ import annotations

import asyncio
import logging

import pytest
import sqlalchemy as sa

from hub.domain import RawStatus
from hub.intake.ingest import PROCESS_JOB
from hub.models import Message, RawInbound, Ticket
from tests.wechat import pushes
from tests.wechat.conftest import Pusher, process_pending
from tests.wechat_fake import FakeWeChat
from web.runtime import JOB_QUEUE
from web.worker import build_worker

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _raw(hub) -> list[RawInbound]:
    async with hub.uow() as uow:
        return list(await uow.session.scalars(sa.select(RawInbound).order_by(RawInbound.received_at)))


async def _messages(hub) -> list[Message]:
    async with hub.uow() as uow:
        return list(await uow.session.scalars(sa.select(Message).order_by(Message.created_at)))


async def test_the_console_url_check_echoes_echostr(client, wechat) -> None:
    url = f"/channels/wechat/{wechat.id}"
    ok = await client.get(url, params=pushes.query(echostr="5837398748397"))
    assert ok.status_code == 200 and ok.text == "5837398748397"
    bad = await client.get(url, params=pushes.query(echostr="1", token="another-token"))
    assert bad.status_code == 403 and "1" not in bad.text


async def test_an_unknown_channel_is_404(client) -> None:
    response = await client.post("/channels/wechat/00000000-0000-0000-0000-000000000000", content=b"<xml/>")
    assert response.status_code == 404


async def test_a_plain_text_push_is_answered_success_then_processed(hub, runtime, push: Pusher) -> None:
    response = await push.plain(pushes.text("oUser1", "你好，我的订单 RMA-1 还没到", msg_id=1001))
    assert response.status_code == 200 and response.text == "success"
    (raw,) = await _raw(hub)
    assert raw.status is RawStatus.RECEIVED and raw.external_id == "1001"
    assert await process_pending(runtime) == ["processed"]
    (message,) = await _messages(hub)
    assert message.text == "你好，我的订单 RMA-1 还没到" and message.type == "text" and not message.is_auto
    async with hub.uow() as uow:
        ticket = await uow.session.get(Ticket, message.ticket_id)
    assert ticket.subject.startswith("你好")


async def test_the_jobs_queued_while_answering_process_every_push(
    hub, runtime, push: Pusher, fake: FakeWeChat
) -> None:
    """Pushes of one tick share one deferred job, which only the first of them asks Redis for; the
    jobs queued while answering are all it takes, with no re-drive, to process every push."""
    for n in range(8):
        fake.users[f"oTick{n % 3}"] = {"nickname": f"用户{n % 3}"}
        response = await push.plain(pushes.text(f"oTick{n % 3}", f"第 {n} 条", msg_id=8000 + n))
        assert response.status_code == 200 and response.text == "success"
    queued = [
        job for job in await runtime.arq.queued_jobs(queue_name=JOB_QUEUE) if job.function == PROCESS_JOB
    ]
    assert 1 <= len(queued) <= 8
    await build_worker(runtime, burst=True, handle_signals=False, crons=False).run_check()
    assert sorted(m.text for m in await _messages(hub)) == sorted(f"第 {n} 条" for n in range(8))
    assert {raw.status for raw in await _raw(hub)} == {RawStatus.PROCESSED}


async def test_wechat_retries_the_same_msgid_three_times_and_one_message_results(
    hub, runtime, push: Pusher
) -> None:
    xml = pushes.text("oUser2", "第一条", msg_id=2002)
    answers = [await push.plain(xml) for _ in range(3)]
    answers += await asyncio.gather(*(push.plain(xml) for _ in range(3)))
    assert {(a.status_code, a.text) for a in answers} == {(200, "success")}
    await process_pending(runtime)
    again = await push.plain(xml)  # a retry after processing: nothing new
    assert again.text == "success"
    assert await process_pending(runtime) == []
    assert len(await _raw(hub)) == 1 and len(await _messages(hub)) == 1


async def test_events_are_deduplicated_on_sender_time_and_event(hub, runtime, push: Pusher) -> None:
    await push.plain(pushes.text("oUser3", "hello"))
    await process_pending(runtime)
    click = pushes.event("oUser3", "CLICK", "<EventKey><![CDATA[MENU_HELP]]></EventKey>", created=1700000000)
    view = pushes.event(
        "oUser3", "VIEW", "<EventKey><![CDATA[http://example.com]]></EventKey>", created=1700000000
    )
    for body in (click, click, view, click):
        assert (await push.plain(body)).text == "success"
    await process_pending(runtime)
    keys = sorted(r.external_id for r in await _raw(hub) if r.external_id.startswith("event:"))
    assert keys == ["event:oUser3:1700000000:click", "event:oUser3:1700000000:view"]
    assert [m.type for m in await _messages(hub)] == ["text", "event", "event"]


@pytest.mark.parametrize("compatible", [False, True], ids=["safe", "compatible"])
async def test_encrypted_pushes_are_decrypted(hub, runtime, push: Pusher, compatible: bool) -> None:
    response = await push.safe(pushes.text("oUser4", "加密消息 <&>", msg_id=4004), compatible=compatible)
    assert response.status_code == 200 and response.text == "success"
    (raw,) = await _raw(hub)
    assert b"<Encrypt>" not in raw.payload and "加密消息".encode() in raw.payload  # the plaintext is kept
    await process_pending(runtime)
    assert [m.text for m in await _messages(hub)] == ["加密消息 <&>"]


async def test_bad_signatures_and_undecryptable_bodies_are_403_logged_without_secrets(
    hub, client, wechat, push: Pusher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    xml = pushes.text("oUser5", "x")
    url = f"/channels/wechat/{wechat.id}"
    forged = await client.post(url, params=pushes.query(token="guessed"), content=xml.encode())
    unsigned = await client.post(url, content=xml.encode())
    body, params = pushes.encrypted(xml)
    tampered = await client.post(url, params={**params, "msg_signature": "0" * 40}, content=body.encode())
    other_account_body, other_params = pushes.encrypted(xml, app_id="wx-someone-else")
    other_account = await client.post(url, params=other_params, content=other_account_body.encode())
    garbage_params = dict(params)
    garbage = "<xml><Encrypt><![CDATA[bm90IGEgY2lwaGVydGV4dA==]]></Encrypt></xml>"
    garbage_params["msg_signature"] = pushes.signature(
        pushes.TOKEN, params["timestamp"], params["nonce"], "bm90IGEgY2lwaGVydGV4dA=="
    )
    undecryptable = await client.post(url, params=garbage_params, content=garbage.encode())
    for response in (forged, unsigned, tampered, other_account, undecryptable):
        assert response.status_code == 403, response.text
    assert await _raw(hub) == []
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 5
    logged = caplog.text
    assert pushes.TOKEN not in logged and pushes.AES_KEY not in logged and "kWxPEV2" not in logged


async def test_malformed_xml_is_400_and_kept_for_inspection(hub, runtime, push: Pusher) -> None:
    for body in (
        "this is not xml",
        "<xml><FromUserName>oX</FromUserName></xml>",
        "<notxml><a>1</a></notxml>",
    ):
        response = await push.plain(body)
        assert response.status_code == 400, body
    doctype = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><xml><MsgType>&e;</MsgType></xml>'
    assert (await push.plain(doctype)).status_code == 400
    assert (await push.plain("this is not xml")).status_code == 400  # the same bytes are kept once
    rows = await _raw(hub)
    assert len(rows) == 4 and {r.status for r in rows} == {RawStatus.REJECTED}
    assert {r.payload for r in rows} >= {b"this is not xml"}
    assert all(r.error for r in rows)
    assert await process_pending(runtime) == []


async def test_a_disabled_channel_refuses(hub, client, wechat) -> None:
    from hub.actors import CLI
    from hub.intake import channel_instances

    await channel_instances.update_channel(hub, CLI, wechat.id, is_active=False)
    response = await client.post(f"/channels/wechat/{wechat.id}", params=pushes.query(), content=b"<xml/>")
    assert response.status_code == 403
