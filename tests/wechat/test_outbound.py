"""Agent replies to WeChat: the 48-hour window and its 5 replies, templates, images, failures."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.delivery import delivery
from hub.domain import DeliveryStatus, Role
from hub.errors import RetryLater
from hub.models import Message, Outbox, ReplyWindow, Ticket
from hub.tickets import tickets
from hub.tickets.windows import WindowClosed
from tests import factories
from tests.conftest import ManualClock
from tests.wechat import pushes
from tests.wechat.conftest import Pusher, process_pending
from tests.wechat_fake import FakeWeChat

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclasses.dataclass
class Conversation:
    ticket_id: uuid.UUID
    openid: str


async def _conversation(runtime, push: Pusher, fake: FakeWeChat, openid: str = "oReply") -> Conversation:
    await push.plain(pushes.text(openid, "请问退货地址？"))
    fake.user_spoke(openid)
    await process_pending(runtime)
    async with runtime.hub.uow() as uow:
        ticket_id = await uow.session.scalar(sa.select(Ticket.id).order_by(Ticket.created_at.desc()).limit(1))
    return Conversation(ticket_id, openid)


async def _agent(hub):
    return factories.actor(await factories.user(hub, Role.AGENT))


async def _reply(
    hub, actor, conv: Conversation, text: str = "地址是上海市…", **draft
) -> tuple[Message, uuid.UUID]:
    message = await tickets.reply(hub, actor, conv.ticket_id, tickets.Draft(text=text, **draft))
    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(sa.select(Outbox.id).where(Outbox.message_id == message.id))
    return message, outbox_id


async def _message(hub, message_id) -> Message:
    return await factories.get(hub, Message, message_id)


async def test_replies_go_out_as_customer_service_messages_and_spend_the_window(
    hub, runtime, push, fake
) -> None:
    conv = await _conversation(runtime, push, fake)
    agent = await _agent(hub)
    for n in range(5):
        message, outbox_id = await _reply(hub, agent, conv, f"第 {n + 1} 条答复")
        assert await delivery.deliver(hub, outbox_id) == "sent"
        assert (await _message(hub, message.id)).delivery_status is DeliveryStatus.SENT
    assert [s["text"]["content"] for s in fake.sent] == [f"第 {n} 条答复" for n in range(1, 6)]
    assert {s["touser"] for s in fake.sent} == {"oReply"}
    with pytest.raises(WindowClosed) as caught:
        await _reply(hub, agent, conv, "第 6 条")
    assert caught.value.extra["reason"] == "quota"
    assert caught.value.extra["alternatives"] == {"template": True, "channels": []}
    # A new customer message opens a fresh window of 5.
    await push.plain(pushes.text(conv.openid, "还有一个问题"))
    await process_pending(runtime)
    await _reply(hub, agent, conv, "请讲")


async def test_a_reply_after_48_hours_is_refused_clearly_in_both_languages(
    hub, runtime, push, fake, client, cast
) -> None:
    conv = await _conversation(runtime, push, fake)
    later = dataclasses.replace(hub, clock=ManualClock(hub.clock.now() + timedelta(hours=48, minutes=1)))
    with pytest.raises(WindowClosed):
        await _reply(later, await _agent(hub), conv)
    # Through the API (on the real clock the window is open: close it as 48 hours would).
    async with hub.uow() as uow:
        await uow.session.execute(sa.update(ReplyWindow).values(expires_at=hub.clock.now()))
        await uow.commit()
    for language, words in (
        ("en", "48 hours on WeChat). Send the channel's template message instead."),
        ("zh-CN", "可以改发模板消息。"),
    ):
        response = await client.post(
            f"/api/v1/tickets/{conv.ticket_id}/reply",
            json={"text": "hello"},
            headers={**cast.as_("agent"), "Accept-Language": language},
        )
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "window_closed" and words in body["detail"]
        assert body["reason"] == "expired" and body["alternatives"]["template"] is True
    ticket = (await client.get(f"/api/v1/tickets/{conv.ticket_id}", headers=cast.as_("agent"))).json()
    assert ticket["reply_window"]["state"] == "closed" and ticket["reply_window"]["reason"] == "expired"
    assert ticket["reply_window"]["template_available"] is True
    page = await client.get(
        f"/tickets/{conv.ticket_id}", headers={**cast.as_("agent"), "Accept-Language": "zh-CN"}
    )
    assert "回复窗口已关闭" in page.text and 'value="template"' in page.text


async def test_the_template_message_reaches_a_customer_outside_the_window(
    hub, runtime, push, fake, client, cast
) -> None:
    conv = await _conversation(runtime, push, fake)
    async with hub.uow() as uow:
        await uow.session.execute(sa.update(ReplyWindow).values(expires_at=hub.clock.now()))
        await uow.commit()
    response = await client.post(
        f"/api/v1/tickets/{conv.ticket_id}/reply",
        json={"text": "您的退货已受理，单号 RMA-1", "via": "template"},
        headers=cast.as_("agent"),
    )
    assert response.status_code == 201, response.text
    message_id = response.json()["id"]
    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(
            sa.select(Outbox.id).where(Outbox.message_id == uuid.UUID(message_id))
        )
    assert await delivery.deliver(hub, outbox_id) == "sent"
    (sent,) = fake.templates
    assert sent == {
        "touser": conv.openid,
        "template_id": "tmpl-reply",
        "data": {"content": {"value": "您的退货已受理，单号 RMA-1"}},
    }
    message = await _message(hub, uuid.UUID(message_id))
    assert message.external_id.startswith("template:") and message.meta["via"] == "template"
    # WeChat reports the template's fate later; the notice lands on the same ticket.
    msg_id = message.external_id.split(":", 1)[1]
    finish = pushes.event(
        conv.openid, "TEMPLATESENDJOBFINISH", f"<MsgID>{msg_id}</MsgID><Status><![CDATA[success]]></Status>"
    )
    await push.plain(finish)
    await process_pending(runtime)
    async with hub.uow() as uow:
        notice = await uow.session.scalar(sa.select(Message).where(Message.type == "event"))
    assert notice.ticket_id == conv.ticket_id
    assert notice.meta["wechat"] == {"event": "templatesendjobfinish", "msg_id": msg_id, "status": "success"}


async def test_a_reply_wechat_never_accepted_gives_its_turn_back(hub, runtime, push, fake) -> None:
    conv = await _conversation(runtime, push, fake)
    agent = await _agent(hub)
    fake.inject("custom_send", 40164)  # refused for good, and not for the window: WeChat counted nothing
    _, outbox_id = await _reply(hub, agent, conv, "发不出去")
    assert await delivery.deliver(hub, outbox_id) == "failed"
    for n in range(5):  # so all five replies are still there
        _, outbox_id = await _reply(hub, agent, conv, f"第 {n + 1} 条")
        assert await delivery.deliver(hub, outbox_id) == "sent"
    with pytest.raises(WindowClosed):
        await _reply(hub, agent, conv, "第 6 条")


async def test_wechat_refusing_at_delivery_closes_the_window_and_says_why(
    hub, runtime, push, fake, client, cast
) -> None:
    conv = await _conversation(runtime, push, fake)
    agent = await _agent(hub)
    fake.inject("custom_send", 45015)  # WeChat knows better (the user left, or its clock differs)
    message, outbox_id = await _reply(hub, agent, conv)
    assert await delivery.deliver(hub, outbox_id) == "failed"
    stored = await _message(hub, message.id)
    assert stored.delivery_status is DeliveryStatus.FAILED
    assert stored.meta["delivery_error"]["code"] == "delivery_window_closed"
    assert "WeChat 45015" in stored.delivery_error
    with pytest.raises(WindowClosed):  # the next reply is refused up front
        await _reply(hub, agent, conv)
    page = await client.get(
        f"/tickets/{conv.ticket_id}", headers=cast.as_("agent")
    )  # the agent reads Chinese
    assert "回复窗口已关闭：客户的 48 小时窗口已结束" in page.text
    assert 'data-delivery-code="delivery_window_closed"' in page.text


async def test_rate_limits_and_timeouts_are_retried_then_the_reply_goes_out(hub, runtime, push, fake) -> None:
    conv = await _conversation(runtime, push, fake)
    message, outbox_id = await _reply(hub, await _agent(hub), conv)
    fake.inject("custom_send", 45009, ("http", 502))
    clock = ManualClock(hub.clock.now())
    timed = dataclasses.replace(hub, clock=clock)
    for _ in range(2):
        with pytest.raises(RetryLater):
            await delivery.deliver(timed, outbox_id)
        clock.advance(hours=1)
    stored = await _message(hub, message.id)
    assert stored.delivery_status is DeliveryStatus.QUEUED and "WeChat API: HTTP 502" in stored.delivery_error
    assert await delivery.deliver(timed, outbox_id) == "sent"
    assert len(fake.sent) == 1


async def test_images_are_uploaded_and_parts_already_sent_are_not_sent_again(
    hub, runtime, push, fake
) -> None:
    conv = await _conversation(runtime, push, fake)
    photo = tickets.NewAttachment(filename="label.png", content_type="image/png", data=PNG)
    _, outbox_id = await _reply(hub, await _agent(hub), conv, "请看照片", attachments=[photo])
    fake.inject("upload", ("http", 503))
    with pytest.raises(RetryLater):
        await delivery.deliver(hub, outbox_id)
    assert [s["msgtype"] for s in fake.sent] == ["text"]
    async with hub.uow() as uow:
        await uow.session.execute(sa.update(Outbox).values(next_attempt_at=hub.clock.now()))
        await uow.commit()
    assert await delivery.deliver(hub, outbox_id) == "sent"
    assert [s["msgtype"] for s in fake.sent] == ["text", "image"]  # the text went out once
    assert fake.sent[1]["image"]["media_id"] == "up-1"


async def test_files_other_than_images_fail_before_anything_is_sent(hub, runtime, push, fake) -> None:
    conv = await _conversation(runtime, push, fake)
    pdf = tickets.NewAttachment(filename="invoice.pdf", content_type="application/pdf", data=b"%PDF-1.4")
    message, outbox_id = await _reply(hub, await _agent(hub), conv, "发票见附件", attachments=[pdf])
    assert await delivery.deliver(hub, outbox_id) == "failed"
    assert fake.sent == []
    stored = await _message(hub, message.id)
    assert (
        stored.meta["delivery_error"]["code"] == "delivery_bad_media"
        and "invoice.pdf" in stored.delivery_error
    )


async def test_a_missing_app_secret_fails_with_what_to_fix(hub, runtime, push, fake, monkeypatch) -> None:
    conv = await _conversation(runtime, push, fake)
    monkeypatch.delenv(pushes.SECRET_ENV)
    message, outbox_id = await _reply(hub, await _agent(hub), conv)
    assert await delivery.deliver(hub, outbox_id) == "failed"
    stored = await _message(hub, message.id)
    assert pushes.SECRET_ENV in stored.delivery_error and fake.secret not in stored.delivery_error
    assert stored.meta["delivery_error"]["code"] == "delivery_misconfigured"


async def test_the_api_shows_an_open_window(hub, runtime, push, fake, client, cast) -> None:
    conv = await _conversation(runtime, push, fake)
    await _reply(hub, await _agent(hub), conv)
    ticket = (await client.get(f"/api/v1/tickets/{conv.ticket_id}", headers=cast.as_("agent"))).json()
    window = ticket["reply_window"]
    assert (window["state"], window["replies_allowed"], window["replies_left"]) == ("open", 5, 4)
    page = await client.get(f"/tickets/{conv.ticket_id}", headers=cast.as_("agent"))
    assert "还可回复 4/5 条" in page.text
    partner = await client.get(f"/api/v1/tickets/{conv.ticket_id}", headers=cast.as_("partner"))
    assert partner.status_code == 404
