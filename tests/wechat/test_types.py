"""Every message type and event, end to end: push, process, what the ticket shows."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
import sqlalchemy as sa

from hub.domain import ChannelKind
from hub.models import ContactIdentity, Message, RawInbound, Ticket
from tests.wechat import pushes
from tests.wechat.conftest import Pusher, process_pending

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _by_external_id(hub, external_id: str) -> Message:
    async with hub.uow() as uow:
        message = await uow.session.scalar(sa.select(Message).where(Message.external_id == external_id))
        assert message is not None, external_id
        return message


async def _identity(hub, openid: str) -> ContactIdentity:
    async with hub.uow() as uow:
        row = await uow.session.scalar(
            sa.select(ContactIdentity).where(
                ContactIdentity.kind == ChannelKind.WECHAT,
                ContactIdentity.value == f"{pushes.APP_ID}:{openid}",
            )
        )
        assert row is not None
        return row


@pytest.mark.parametrize(
    ("msg_type", "expected_type", "expected_text", "fields"),
    [
        ("image", "image", "", {"media_id": "img-1", "pic_url": "http://mmbiz.example/pic.jpg"}),
        ("voice", "voice", "我的订单什么时候发货", {"recognition": "我的订单什么时候发货", "format": "amr"}),
        ("video", "video", "", {"media_id": "video-1", "thumb_media_id": "thumb-1"}),
        ("shortvideo", "shortvideo", "", {"media_id": "video-2"}),
        ("location", "location", "位置信息", {"latitude": "23.134521", "longitude": "113.358803"}),
        (
            "link",
            "link",
            "公众平台官网链接\n公众平台官网链接\nhttp://example.com/link",
            {"url": "http://example.com/link"},
        ),
        ("file", "file", "报价单.pdf\nPDF", {"file_key": "fk-1", "size": "2048"}),
        ("miniprogrampage", "miniprogrampage", "订单详情", {"page_path": "pages/order"}),
        ("hologram", "unknown", "", {"msg_type": "hologram", "fields": {"Shape": "cube"}}),
    ],
)
async def test_each_message_type_becomes_a_customer_message(
    hub, runtime, push: Pusher, msg_type: str, expected_type: str, expected_text: str, fields: dict
) -> None:
    msg_id = pushes.next_id()
    response = await push.plain(pushes.message("oTypes", msg_type, pushes.SAMPLES[msg_type], msg_id=msg_id))
    assert response.text == "success"
    assert await process_pending(runtime) == ["processed"]
    message = await _by_external_id(hub, str(msg_id))
    assert (message.type, message.text, message.is_auto) == (expected_type, expected_text, False)
    wechat = message.meta["wechat"]
    assert {k: wechat[k] for k in fields} == fields
    if msg_type in ("image", "voice", "video", "shortvideo"):
        assert message.meta["media"] == {"state": "pending", "media_id": wechat["media_id"], "kind": msg_type}
    else:
        assert "media" not in message.meta


async def test_the_ticket_page_shows_types_events_and_unknowns(
    hub, runtime, client, push: Pusher, cast
) -> None:
    for msg_type in ("voice", "location", "hologram"):
        await push.plain(pushes.message("oPage", msg_type, pushes.SAMPLES[msg_type]))
    await push.plain(pushes.event("oPage", "CLICK", "<EventKey><![CDATA[MENU_HELP]]></EventKey>"))
    await push.plain(pushes.event("oPage", "weird_new_event", "<Thing><![CDATA[42]]></Thing>"))
    await process_pending(runtime)
    async with hub.uow() as uow:
        ticket_id = await uow.session.scalar(sa.select(Ticket.id))
    page = await client.get(
        f"/tickets/{ticket_id}", headers={**cast.as_("agent"), "Accept-Language": "zh-CN"}
    )
    assert page.status_code == 200
    html = page.text
    assert "语音识别" in html and "我的订单什么时候发货" in html
    assert "不支持的消息类型：hologram" in html and "cube" in html
    assert "点击了菜单 MENU_HELP" in html
    assert "微信事件 weird_new_event" in html
    assert "正在从微信下载文件" in html  # the voice file is still being fetched


async def test_subscribe_with_a_qr_scene_greets_at_once_and_marks_the_identity(
    hub, runtime, push: Pusher
) -> None:
    scene = "<EventKey><![CDATA[qrscene_expo2026]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>"
    response = await push.plain(pushes.event("oNew", "subscribe", scene))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    reply = ElementTree.fromstring(response.text)  # noqa: S314 - our own reply, the point is that it parses
    assert reply.findtext("Content") == "欢迎关注！回复 ]]> 也没问题 <&>"  # ]]> survives, the XML parses
    assert reply.findtext("ToUserName") == "oNew" and reply.findtext("FromUserName") == pushes.ACCOUNT
    assert await process_pending(runtime) == ["processed"]
    async with hub.uow() as uow:
        raw = await uow.session.scalar(sa.select(RawInbound))
        assert await uow.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
    # A notice from someone with no conversation: kept raw, no ticket made for nobody to answer.
    assert raw.ticket_id is None and raw.message["meta"]["wechat"] == {
        "event": "subscribe_scan",
        "scene": "expo2026",
        "ticket": "TICKET",
    }
    identity = await _identity(hub, "oNew")
    assert identity.left_at is None


async def test_the_welcome_reply_is_encrypted_in_safe_mode(runtime, push: Pusher) -> None:
    body, params = pushes.encrypted(pushes.event("oSafe", "subscribe"))
    response = await push.client.post(push.url, params=params, content=body.encode())
    assert response.status_code == 200 and "<Encrypt>" in response.text
    assert "欢迎关注！回复 ]]]]><![CDATA[> 也没问题 <&>" in pushes.decrypt_reply(response.text, params)


async def test_notices_join_the_open_conversation_and_unsubscribe_keeps_the_history(
    hub, runtime, push: Pusher
) -> None:
    await push.plain(pushes.text("oFan", "请问发票怎么开"))
    await process_pending(runtime)
    events = [
        pushes.event(
            "oFan", "SCAN", "<EventKey><![CDATA[store-12]]></EventKey><Ticket><![CDATA[T]]></Ticket>"
        ),
        pushes.event("oFan", "VIEW", "<EventKey><![CDATA[http://example.com/menu]]></EventKey>"),
        pushes.event(
            "oFan",
            "LOCATION",
            "<Latitude>23.1</Latitude><Longitude>113.3</Longitude><Precision>1</Precision>",
        ),
        pushes.event("oFan", "unsubscribe"),
    ]
    for body in events:
        assert (await push.plain(body)).text == "success"
    await process_pending(runtime)
    async with hub.uow() as uow:
        messages = list(await uow.session.scalars(sa.select(Message).order_by(Message.created_at)))
        tickets = list(await uow.session.scalars(sa.select(Ticket)))
    assert len(tickets) == 1
    assert [(m.type, m.meta.get("wechat", {}).get("event")) for m in messages] == [
        ("text", None),
        ("event", "scan"),
        ("event", "view"),
        ("event", "location"),
        ("event", "unsubscribe"),
    ]
    assert all(m.is_auto for m in messages[1:])
    assert messages[1].meta["wechat"]["scene"] == "store-12"
    assert (await _identity(hub, "oFan")).left_at is not None
    await push.plain(pushes.event("oFan", "subscribe"))
    await process_pending(runtime)
    assert (await _identity(hub, "oFan")).left_at is None
