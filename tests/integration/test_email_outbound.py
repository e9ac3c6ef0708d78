"""E-mail out through a real SMTP server on loopback (aiosmtpd): reply headers that thread back,
SMTP errors sorted into retries and failures, acknowledgements that robots leave alone, two
auto-responders facing each other, bounces after sending and staff notification mails."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from channels.email import ids
from channels.email.ingest import Outcome
from channels.email.notify import EmailNotificationMailer
from hub.delivery import delivery
from hub.domain import DeliveryStatus, Direction, OutboxStatus, Role
from hub.errors import RetryLater
from hub.models import Message, Outbox, Ticket
from hub.tickets import tickets
from tests import factories
from tests.email_helpers import ingestor, mail, mailbox
from tests.smtp_sink import Received, SmtpSink

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.close()


def _smtp(sink: SmtpSink, **extra: object) -> dict[str, object]:
    return {"smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_tls": "none", **extra}


async def _outbox_of(hub, message_id) -> Outbox:
    async with hub.uow() as uow:
        row = await uow.session.scalar(sa.select(Outbox).where(Outbox.message_id == message_id))
        assert row is not None
        return row


async def _pending(hub) -> list[Outbox]:
    async with hub.uow() as uow:
        return list(
            await uow.session.scalars(
                sa.select(Outbox).where(Outbox.status == OutboxStatus.PENDING).order_by(Outbox.created_at)
            )
        )


async def _client_mail_and_reply(
    hub, box, message_id: str = "<q1@client.example>", **draft: object
) -> tuple[object, Message]:
    email = await ingestor(hub)
    first = await email.ingest(box.id, mail(subject="我的订单还没有发货", message_id=message_id))
    agent = await factories.user(hub, Role.AGENT)
    reply = await tickets.reply(hub, factories.actor(agent), first.ticket_id, tickets.Draft(**draft))  # type: ignore[arg-type]
    return first, reply


async def test_a_reply_carries_everything_a_client_needs_to_thread_back(hub, sink) -> None:
    box = await mailbox(hub, display_name="客服中心", **_smtp(sink))
    first, reply = await _client_mail_and_reply(
        hub,
        box,
        text="您好，已经发货。",
        html="<p>您好，<b>已经发货</b>。</p>",
        attachments=[tickets.NewAttachment("运单.pdf", "application/pdf", b"%PDF-1.4")],
    )
    outbox = await _outbox_of(hub, reply.id)
    assert await delivery.deliver(hub, outbox.id) == "sent"
    (received,) = sink.received
    ticket = await factories.get(hub, Ticket, first.ticket_id)
    message = received.message
    our_id = ids.ours(ticket.reply_token, reply.id.hex, "hub.example")
    assert received.mail_from == "support@hub.example" and received.rcpt_tos == ["wang@client.example"]
    assert str(message["Message-ID"]).strip() == our_id
    assert message["In-Reply-To"] == "<q1@client.example>" and "<q1@client.example>" in message["References"]
    assert str(message["Subject"]) == f"Re: 我的订单还没有发货 [#{ticket.number}]"
    assert f"support+{ticket.reply_token}@hub.example" in str(message["Reply-To"])
    assert "客服中心" in str(message["From"]) and message["Auto-Submitted"] is None
    assert message.get_body(("plain",)).get_content().strip() == "您好，已经发货。"
    assert "<b>已经发货</b>" in message.get_body(("html",)).get_content()
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "运单.pdf" and attachment.get_content() == b"%PDF-1.4"
    stored = await factories.get(hub, Message, reply.id)
    assert stored.external_id == our_id and stored.delivery_status is DeliveryStatus.SENT

    # The client answers from a client that drops Reply-To: In-Reply-To alone threads it back.
    answer = mail(subject="Re: whatever", headers={"In-Reply-To": our_id, "References": our_id})
    result = await (await ingestor(hub)).ingest(box.id, answer)
    assert result.outcome is Outcome.THREADED and result.ticket_id == first.ticket_id


async def test_a_5xx_answer_fails_the_reply_with_the_servers_words(hub, sink) -> None:
    sink.rcpt_answers["wang@client.example"] = "550 5.1.1 <wang@client.example>: no such user here"
    box = await mailbox(hub, **_smtp(sink))
    _, reply = await _client_mail_and_reply(hub, box, text="hi")
    assert await delivery.deliver(hub, (await _outbox_of(hub, reply.id)).id) == "failed"
    stored = await factories.get(hub, Message, reply.id)
    assert stored.delivery_status is DeliveryStatus.FAILED
    assert "550" in stored.delivery_error and "no such user here" in stored.delivery_error


async def test_a_4xx_answer_and_a_dead_server_are_retried(hub, sink) -> None:
    sink.rcpt_answers["wang@client.example"] = "451 4.3.0 greylisted, try again later"
    box = await mailbox(hub, **_smtp(sink))
    _, reply = await _client_mail_and_reply(hub, box, text="hi")
    outbox = await _outbox_of(hub, reply.id)
    with pytest.raises(RetryLater, match="451"):
        await delivery.deliver(hub, outbox.id)
    stored = await factories.get(hub, Message, reply.id)
    assert stored.delivery_status is DeliveryStatus.QUEUED and "greylisted" in stored.delivery_error

    dead = await mailbox(hub, "dead@hub.example", smtp_host="127.0.0.1", smtp_port=1, smtp_tls="none")
    _, second = await _client_mail_and_reply(hub, dead, "<q2@client.example>", text="hi")
    with pytest.raises(RetryLater, match="cannot reach the SMTP server"):
        await delivery.deliver(hub, (await _outbox_of(hub, second.id)).id)


async def test_login_with_the_password_from_the_named_environment_variable(hub, monkeypatch) -> None:
    sink = await SmtpSink(credentials=("support@hub.example", "s3cret")).start()
    try:
        box = await mailbox(
            hub, **_smtp(sink, smtp_user="support@hub.example", smtp_password_env="HUB_TEST_SMTP_PW")
        )
        _, reply = await _client_mail_and_reply(hub, box, text="hi")
        outbox = await _outbox_of(hub, reply.id)
        monkeypatch.delenv("HUB_TEST_SMTP_PW", raising=False)
        assert await delivery.deliver(hub, outbox.id) == "failed"
        stored = await factories.get(hub, Message, reply.id)
        assert "HUB_TEST_SMTP_PW" in stored.delivery_error and "not set" in stored.delivery_error
        monkeypatch.setenv("HUB_TEST_SMTP_PW", "s3cret")
        await delivery.redrive(hub, include_failed=True)
        assert await delivery.deliver(hub, outbox.id) == "sent"
        assert [r.login for r in sink.received] == ["support@hub.example"]
    finally:
        await sink.close()


async def test_an_acknowledgement_is_marked_automatic_with_a_null_envelope_sender(hub, sink) -> None:
    box = await mailbox(hub, auto_ack=True, ack_subject="[#{number}] 已收到: {subject}", **_smtp(sink))
    result = await (await ingestor(hub)).ingest(box.id, mail(subject="报价"))
    assert result.acknowledged
    (row,) = await _pending(hub)
    assert await delivery.deliver(hub, row.id) == "sent"
    (received,) = sink.received
    number = (await factories.get(hub, Ticket, result.ticket_id)).number
    assert received.mail_from == "<>"
    assert received.message["Auto-Submitted"] == "auto-replied"
    assert received.message["X-Auto-Response-Suppress"] == "All"
    assert str(received.message["Subject"]) == f"[#{number}] 已收到: 报价"


def _robot(hub, box, style: str):
    """A client's out-of-office robot that answers every mail it gets, ours included."""

    async def answer(received: Received) -> None:
        original = received.message
        headers = {"In-Reply-To": original["Message-ID"]}
        subject = f"Re: {original['Subject']}"
        if style == "rfc3834":
            headers["Auto-Submitted"] = "auto-replied"
            subject = f"自动回复: {original['Subject']}"
        elif style == "fresh_mail":  # no reference at all, a subject of its own
            headers = {}
            subject = "I am on leave"
        raw = mail(sender=received.rcpt_tos[0], subject=subject, text="我在休假。", headers=headers)
        await (await ingestor(hub)).ingest(box.id, raw)

    return answer


@pytest.mark.parametrize("style", ["rfc3834", "naive_reply", "fresh_mail"])
async def test_two_auto_responders_facing_each_other_stop_after_one_exchange(hub, sink, style) -> None:
    box = await mailbox(hub, auto_ack=True, **_smtp(sink))
    sink.on_mail = _robot(hub, box, style)
    await (await ingestor(hub)).ingest(box.id, mail(subject="询价"))
    for _ in range(5):  # the worker's delivery loop, bounded
        pending = await _pending(hub)
        if not pending:
            break
        for row in pending:
            await delivery.deliver(hub, row.id)
    assert await _pending(hub) == []
    assert len(sink.received) == 1  # our one acknowledgement; the robot's answer got none back
    async with hub.uow() as uow:
        inbound = list(
            await uow.session.scalars(sa.select(Message).where(Message.direction == Direction.INBOUND))
        )
    assert len(inbound) == 2  # the client's mail and the robot's answer, both kept


async def test_a_bounce_after_sending_fails_the_reply_it_names(hub, sink) -> None:
    box = await mailbox(hub, **_smtp(sink))
    _, reply = await _client_mail_and_reply(hub, box, text="hi")
    await delivery.deliver(hub, (await _outbox_of(hub, reply.id)).id)
    sent_id = str(sink.received[0].message["Message-ID"]).strip()
    qmail = (
        "From: MAILER-DAEMON@client.example\r\nTo: support@hub.example\r\nSubject: failure notice\r\n"
        "Message-ID: <qm-1@client.example>\r\n\r\nHi. This is the qmail-send program.\r\n"
        "<wang@client.example>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        f"--- Below this line is a copy of the message.\r\n\r\nMessage-ID: {sent_id}\r\nSubject: x\r\n"
    ).encode()
    result = await (await ingestor(hub)).ingest(box.id, qmail)
    assert result.outcome is Outcome.IGNORED
    stored = await factories.get(hub, Message, reply.id)
    assert stored.delivery_status is DeliveryStatus.FAILED and "no mailbox here" in stored.delivery_error
    assert await factories.count(hub, Ticket) == 1


async def test_staff_notifications_leave_from_the_notifications_mailbox(hub, sink) -> None:
    mailer = EmailNotificationMailer(hub)
    await mailer.send_notification(to="agent@hub.example", subject="x", text="nothing configured yet")
    assert sink.received == []
    await mailbox(hub, "alerts@hub.example", notifications=True, **_smtp(sink))
    await mailer.send_notification(
        to="agent@hub.example", subject="SLA 预警 #10001", text="工单 #10001 即将超时"
    )
    (received,) = sink.received
    assert received.rcpt_tos == ["agent@hub.example"] and received.mail_from == "<>"
    assert str(received.message["Subject"]) == "SLA 预警 #10001"
    assert received.message["Auto-Submitted"] == "auto-generated"
    body = received.message.get_body(("plain",))
    assert (
        body.get_content().strip() == "工单 #10001 即将超时" or base64.b64decode(body.get_payload()).decode()
    )
