"""The web-chat protocol (docs/webchat.md) over the real app: REST and WebSockets, Redis, PostgreSQL.

The widget's side is played by the test client with the host page's ``Origin``; the agent's side
by the API and the hub's use cases, as the inbox and integrations do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid

import pytest
import sqlalchemy as sa
from litestar.exceptions import WebSocketDisconnect

from channels.webchat import live, tokens
from channels.webchat.spec import channel_secret
from hub.domain import ChannelKind, OrganizationKind, Role, Tier
from hub.models import Channel, Message, Ticket, WebchatVisitor
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio

SHOP = "https://shop.example"
HEADERS = {"Origin": SHOP}


async def _chat(hub, **settings) -> Channel:
    return await factories.channel(hub, ChannelKind.WEBCHAT, origins=[SHOP], **settings)


def _base(channel: Channel) -> str:
    return f"/widget/v1/{channel.id}"


async def _session(client, channel: Channel, **body) -> dict:
    answer = await client.post(
        f"{_base(channel)}/sessions", json={"page": {"url": f"{SHOP}/cart"}, **body}, headers=HEADERS
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _auth(token: str) -> dict[str, str]:
    return {**HEADERS, "Authorization": f"Bearer {token}"}


async def _say(client, channel: Channel, token: str, text: str, client_id: str | None = None):
    return await client.post(
        f"{_base(channel)}/messages",
        json={"client_message_id": client_id or str(uuid.uuid4()), "text": text},
        headers=_auth(token),
    )


def _next(socket, event: str, timeout: float = 10) -> dict:
    """The next frame of this kind (others, like ``online``, may come first), bounded."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        frame = json.loads(socket.receive_text(timeout=left))
        if frame["event"] == event:
            return frame
    raise AssertionError(f"no {event} frame")


def _ready(socket, token: str, after: str | None = None) -> dict:
    socket.send_text(json.dumps({"type": "auth", "token": token, "after": after}))
    return _next(socket, "ready")


def _subscribed(socket) -> None:
    """A pong comes only after the socket's subscription and presence are in place."""
    socket.send_text(json.dumps({"type": "ping"}))
    _next(socket, "pong")


@contextlib.asynccontextmanager
async def _visitor(client, runtime, channel: Channel, session: dict, after: str | None = None):
    """The visitor's socket, authenticated and subscribed; closed, and its presence gone, after.

    Waiting for the presence to go makes the server's handler finish before the test ends (and
    the app with it), rather than being cut off in the middle of its last Redis call."""
    with await client.websocket_connect(f"{_base(channel)}/socket", headers=HEADERS) as socket:
        ready = _ready(socket, session["token"], after)
        _subscribed(socket)
        yield socket, ready
    deadline = time.monotonic() + 10
    while await live.present(runtime.redis, channel.id, session["visitor_id"]):
        assert time.monotonic() < deadline, "the socket's presence outlived it"
        await asyncio.sleep(0.02)


async def _ticket_of(hub, message_id: str) -> Ticket:
    message = await factories.get(hub, Message, uuid.UUID(message_id))
    return await factories.get(hub, Ticket, message.ticket_id)


async def test_config_says_what_the_widget_shows_and_whether_someone_is_there(client, hub) -> None:
    team = await factories.team(hub)
    channel = await factories.channel(
        hub, ChannelKind.WEBCHAT, team_id=team.id, origins=[SHOP], colour="#aa3300", prechat_email="required"
    )
    answer = await client.get(f"{_base(channel)}/config", headers=HEADERS)
    assert answer.status_code == 200, answer.text
    config = answer.json()
    assert config["colour"] == "#aa3300" and config["position"] == "right" and config["language"] == "auto"
    assert config["prechat"] == {"name": "off", "email": "required", "phone": "off"}
    assert config["greeting"]["zh-CN"] and config["greeting"]["en"]
    assert config["online"] is False, "nobody of the team exists yet"
    assert answer.headers["access-control-allow-origin"] == SHOP
    await factories.user(hub, Role.AGENT, team_id=team.id)
    other = await factories.channel(hub, ChannelKind.WEBCHAT, team_id=team.id, origins=[SHOP])
    assert (await client.get(f"{_base(other)}/config", headers=HEADERS)).json()["online"] is True


async def test_an_open_widget_hears_when_the_last_agent_goes_away_and_comes_back(
    client, hub, runtime, monkeypatch
) -> None:
    from channels.webchat import availability

    monkeypatch.setattr(availability, "CHECK_SECONDS", 0.05)
    team = await factories.team(hub)
    agent = await factories.user(hub, Role.AGENT, team_id=team.id)
    staff = await factories.login(client, agent)
    channel = await _chat(hub, team_id=team.id)
    session = await _session(client, channel)
    async with _visitor(client, runtime, channel, session) as (socket, _):
        away = await client.patch("/api/v1/users/me", json={"presence": "away"}, headers=staff)
        assert away.status_code == 200, away.text
        assert _next(socket, "online") == {"event": "online", "online": False}
        back = await client.patch("/api/v1/users/me", json={"presence": "available"}, headers=staff)
        assert back.status_code == 200, back.text
        assert _next(socket, "online") == {"event": "online", "online": True}


async def test_another_origin_gets_no_session_and_no_socket(client, hub) -> None:
    channel = await _chat(hub)
    evil = {"Origin": "https://evil.example"}
    refused = await client.post(f"{_base(channel)}/sessions", json={"page": {"url": "x"}}, headers=evil)
    assert_problem(refused, 403, "webchat_origin_refused")
    assert "access-control-allow-origin" not in refused.headers
    preflight = await client.options(f"{_base(channel)}/messages", headers=evil)
    assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
    allowed = await client.options(
        f"{_base(channel)}/messages",
        headers={
            **HEADERS,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert await factories.count(hub, WebchatVisitor) == 0
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        await client.websocket_connect(f"{_base(channel)}/socket", headers=evil) as socket,
    ):
        socket.receive_text(timeout=5)
    assert closed.value.code == 4403
    unknown = await client.get(f"/widget/v1/{uuid.uuid4()}/config", headers=HEADERS)
    assert unknown.status_code == 404


async def test_a_visitor_chats_and_an_agent_reply_through_the_api_arrives_live(
    client, hub, cast, runtime
) -> None:
    channel = await _chat(hub)
    session = await _session(client, channel, prechat={"name": "王先生"})
    assert session["messages"] == [] and tokens.read(hub.settings.secret_key, channel.id, session["token"])
    sent = await _say(client, channel, session["token"], "<b>你好</b>，我想问一下发货时间")
    assert sent.status_code == 201, sent.text
    message = sent.json()["message"]
    assert message["direction"] == "in" and message["text"] == "<b>你好</b>，我想问一下发货时间"
    assert sent.json()["duplicate"] is False
    ticket = await _ticket_of(hub, message["id"])
    assert ticket.channel_kind is ChannelKind.WEBCHAT and ticket.subject
    async with _visitor(client, runtime, channel, session) as (socket, ready):
        assert [m["id"] for m in ready["messages"]] == [message["id"]]
        assert await live.present(runtime.redis, channel.id, session["visitor_id"])
        reply = await client.post(
            f"/api/v1/tickets/{ticket.id}/reply", json={"text": "明天发货。"}, headers=cast.as_(Role.AGENT)
        )
        assert reply.status_code == 201, reply.text
        pushed = _next(socket, "message")["message"]
        assert pushed["id"] == reply.json()["id"] and pushed["direction"] == "out"
        assert pushed["text"] == "明天发货。" and pushed["author"]["name"] == cast.agent.name
        delivered = _next(socket, "status")
        assert delivered == {"event": "status", "id": pushed["id"], "status": "delivered"}
        socket.send_text(json.dumps({"type": "read", "message_id": pushed["id"]}))
        assert _next(socket, "status")["status"] == "read"
    history = await client.get(f"{_base(channel)}/messages", headers=_auth(session["token"]))
    assert [(m["direction"], m["status"]) for m in history.json()["messages"]] == [
        ("in", "sent"),
        ("out", "read"),
    ]
    again = await _session(client, channel, token=session["token"])
    assert again["visitor_id"] == session["visitor_id"] and len(again["messages"]) == 2
    assert again["agent"] == {"name": cast.agent.name}


async def test_messages_sent_while_the_socket_was_away_arrive_in_ready(client, hub, runtime) -> None:
    channel = await _chat(hub)
    agent = await factories.user(hub, Role.AGENT)
    session = await _session(client, channel)
    first = (await _say(client, channel, session["token"], "在吗？")).json()["message"]
    ticket = await _ticket_of(hub, first["id"])
    from hub.tickets import tickets

    async with _visitor(client, runtime, channel, session):
        pass
    # The visitor's page is closed (a reload, a tunnel): the agent answers twice meanwhile.
    one = await tickets.reply(hub, factories.actor(agent), ticket.id, tickets.Draft(text="在的。"))
    two = await tickets.reply(hub, factories.actor(agent), ticket.id, tickets.Draft(text="请问订单号？"))
    async with _visitor(client, runtime, channel, session, after=first["id"]) as (_, ready):
        missed = ready["messages"]
    assert [m["id"] for m in missed] == [str(one.id), str(two.id)]
    assert [m["text"] for m in missed] == ["在的。", "请问订单号？"]


async def test_a_retried_message_is_one_message(client, hub) -> None:
    channel = await _chat(hub)
    session = await _session(client, channel)
    client_id = str(uuid.uuid4())
    first = await _say(client, channel, session["token"], "报价单收到了吗", client_id)
    retry = await _say(client, channel, session["token"], "报价单收到了吗", client_id)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["duplicate"] is True
    assert retry.json()["message"]["id"] == first.json()["message"]["id"]
    assert retry.json()["message"]["client_message_id"] == client_id
    assert await factories.count(hub, Message) == 1


async def test_a_token_reads_only_its_own_conversation(client, hub, runtime) -> None:
    channel = await _chat(hub)
    elsewhere = await _chat(hub)
    alice, bob = await _session(client, channel), await _session(client, channel)
    await _say(client, channel, alice["token"], "alice 的秘密")
    await _say(client, channel, bob["token"], "bob 的问题")
    seen = await client.get(f"{_base(channel)}/messages", headers=_auth(bob["token"]))
    assert [m["text"] for m in seen.json()["messages"]] == ["bob 的问题"]
    forged = f"{alice['visitor_id']}.{'0' * 40}"
    assert_problem(
        await client.get(f"{_base(channel)}/messages", headers=_auth(forged)), 401, "webchat_token_required"
    )
    # Another channel's token names nobody here: a new visitor, with nothing of Alice's.
    moved = await _session(client, elsewhere, token=alice["token"])
    assert moved["visitor_id"] != alice["visitor_id"] and moved["messages"] == []
    assert_problem(await _say(client, elsewhere, alice["token"], "hi"), 401, "webchat_token_required")
    async with _visitor(client, runtime, channel, bob) as (_, ready):
        assert [m["text"] for m in ready["messages"]] == ["bob 的问题"]


async def test_a_bad_token_on_the_socket_never_subscribes(client, hub, monkeypatch, runtime) -> None:
    channel = await _chat(hub)
    session = await _session(client, channel)
    forged = f"{session['visitor_id']}.{'f' * 40}"
    redis = runtime.redis
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        await client.websocket_connect(f"{_base(channel)}/socket", headers=HEADERS) as socket,
    ):
        socket.send_text(json.dumps({"type": "auth", "token": forged, "after": None}))
        socket.receive_text(timeout=5)
    assert closed.value.code == 4401
    assert not await live.present(redis, channel.id, session["visitor_id"])
    assert await redis.publish(live.conversation(channel.id, session["visitor_id"]), b"{}") == 0
    from channels.webchat import socket as visitor_socket

    monkeypatch.setattr(visitor_socket, "AUTH_SECONDS", 0.3)
    with (
        pytest.raises(WebSocketDisconnect) as silent,
        await client.websocket_connect(f"{_base(channel)}/socket", headers=HEADERS) as socket,
    ):
        socket.receive_text(timeout=5)
    assert silent.value.code == 4401, "no auth frame in time"


async def test_typing_goes_both_ways(client, hub, cast, runtime) -> None:
    channel = await _chat(hub)
    session = await _session(client, channel)
    first = (await _say(client, channel, session["token"], "稍等，我查一下订单号")).json()["message"]
    ticket = await _ticket_of(hub, first["id"])
    staff = cast.as_(Role.AGENT)
    with await client.websocket_connect("/api/v1/stream", headers=staff) as stream:
        stream.send_text("ping")
        assert json.loads(stream.receive_text(timeout=10)) == {"event": "pong"}
        typing = await client.post(
            f"{_base(channel)}/typing", json={"typing": True}, headers=_auth(session["token"])
        )
        assert typing.status_code == 204
        event = _next(stream, "ticket.typing")
        assert event["ticket_id"] == str(ticket.id) and event["typing"] is True
    async with _visitor(client, runtime, channel, session) as (socket, _):
        said = await client.post(f"/api/v1/tickets/{ticket.id}/typing", json={"typing": True}, headers=staff)
        assert said.status_code == 204, said.text
        assert _next(socket, "typing") == {"event": "typing", "typing": True, "name": cast.agent.name}
        await client.post(f"/api/v1/tickets/{ticket.id}/typing", json={"typing": False}, headers=staff)
        assert _next(socket, "typing")["typing"] is False
    partner = await client.post(
        f"/api/v1/tickets/{ticket.id}/typing", json={"typing": True}, headers=cast.as_(Role.PARTNER)
    )
    assert partner.status_code == 403


async def test_the_agent_sees_the_visitors_page_and_presence(client, hub, cast, runtime) -> None:
    channel = await _chat(hub)
    session = await _session(client, channel)
    await client.post(
        f"{_base(channel)}/sessions",
        json={
            "token": session["token"],
            "page": {"url": f"{SHOP}/p/hx-200", "referrer": "https://search.example/?q=hx"},
        },
        headers={**HEADERS, "User-Agent": "Mozilla/5.0 TestBrowser", "Accept-Language": "en-GB,en"},
    )
    first = (await _say(client, channel, session["token"], "Price of HX-200?")).json()["message"]
    ticket = await _ticket_of(hub, first["id"])
    staff = cast.as_(Role.AGENT)
    async with _visitor(client, runtime, channel, session):
        page = (await client.get(f"/tickets/{ticket.id}", headers=staff)).text
        assert f"{SHOP}/p/hx-200" in page and "https://search.example/?q=hx" in page
        assert "Mozilla/5.0 TestBrowser" in page and "en-GB" in page
        assert "webchat-visitor" in page and ("正在页面上" in page or "On the page now" in page)
    page = (await client.get(f"/tickets/{ticket.id}", headers=staff)).text
    assert "已离开页面" in page or "Left the page" in page


async def test_set_user_joins_the_known_contact_only_with_the_right_hash(client, hub) -> None:
    manager = await factories.user(hub, Role.AGENT)
    org = await factories.organization(
        hub, kind=OrganizationKind.CLIENT, tier=Tier.CORE, domains=["client.example"], manager=manager.id
    )
    from tests.email_helpers import ingestor, mail, mailbox

    box = await mailbox(hub)
    known = await (await ingestor(hub)).ingest(box.id, mail(sender="li@client.example", text="以前的邮件"))
    known_ticket = await factories.get(hub, Ticket, known.ticket_id)
    assert known_ticket.organization_id == org.id
    channel = await _chat(hub)
    secret = channel_secret(hub.settings.secret_key, channel.id, channel.config)
    assert secret
    session = await _session(client, channel)
    wrong = await client.post(
        f"{_base(channel)}/identify",
        json={
            "id": "u-42",
            "email": "li@client.example",
            "hash": tokens.identity_hash("not the secret", "u-42"),
        },
        headers=_auth(session["token"]),
    )
    assert wrong.status_code == 200 and wrong.json() == {"verified": False}
    visitor = await factories.get(hub, WebchatVisitor, uuid.UUID(session["visitor_id"]))
    assert visitor.verified_id is None and visitor.email is None
    right = await client.post(
        f"{_base(channel)}/identify",
        json={
            "id": "u-42",
            "name": "李女士",
            "email": "li@client.example",
            "hash": tokens.identity_hash(secret, "u-42"),
        },
        headers=_auth(session["token"]),
    )
    assert right.json() == {"verified": True}
    said = (await _say(client, channel, session["token"], "我是老客户")).json()["message"]
    ticket = await _ticket_of(hub, said["id"])
    assert ticket.contact_id == known_ticket.contact_id
    assert ticket.organization_id == org.id and ticket.assignee_id == manager.id, (
        "the dedicated account manager"
    )


async def test_rate_and_size_limits(client, hub) -> None:
    channel = await _chat(hub, visitor_messages_per_minute=3, message_max_chars=20)
    session = await _session(client, channel)
    too_long = await _say(client, channel, session["token"], "长" * 21)
    assert_problem(too_long, 413, "webchat_too_long")
    assert too_long.headers["access-control-allow-origin"] == SHOP, "the widget can read why"
    for n in range(2):
        assert (await _say(client, channel, session["token"], f"消息 {n}")).status_code == 201
    limited = await _say(client, channel, session["token"], "又一条")
    assert_problem(limited, 429, "webchat_rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert await factories.count(hub, Message) == 2
    other = await _session(client, channel)
    assert (await _say(client, channel, other["token"], "另一位访客")).status_code == 201, "per visitor"


async def test_the_channel_is_added_with_its_secret_shown_once(invoke_cli, hub) -> None:
    result = await invoke_cli("channel", "add", "webchat", "--name", "官网咨询", "--origin", SHOP, "--json")
    assert result.code == 0, result.err
    printed = json.loads(result.out)
    channel = await factories.get(hub, Channel, uuid.UUID(printed["id"]))
    assert printed["secret"] == channel_secret(hub.settings.secret_key, channel.id, channel.config)
    assert "secret" not in channel.config and channel.config["secret_sealed"] != printed["secret"]
    async with hub.session_factory() as session:
        stored = await session.scalar(sa.select(Channel.config).where(Channel.id == channel.id))
    assert stored["origins"] == [SHOP]
    refused = await invoke_cli("channel", "add", "webchat", "--name", "无来源")
    assert refused.code != 0 and "--origin" in refused.err


async def test_offline_the_reply_goes_by_email_and_the_answer_threads_back(client, hub) -> None:
    from hub.tickets import tickets
    from tests.email_helpers import ingestor, mail, mailbox
    from tests.smtp_sink import SmtpSink

    sink = await SmtpSink().start()
    try:
        box = await mailbox(hub, smtp_host="127.0.0.1", smtp_port=sink.port, smtp_tls="none")
        channel = await _chat(hub)
        agent = await factories.user(hub, Role.AGENT)
        session = await _session(client, channel, prechat={"name": "Emma"})
        first = (await _say(client, channel, session["token"], "Do you ship to Rotterdam?")).json()["message"]
        left = await client.post(
            f"{_base(channel)}/email",
            json={"email": "emma@northwind.example"},
            headers=_auth(session["token"]),
        )
        assert left.status_code == 200, left.text
        ticket = await _ticket_of(hub, first["id"])
        reply = await tickets.reply(
            hub, factories.actor(agent), ticket.id, tickets.Draft(text="Yes: 12 days by sea.")
        )
        (sent,) = await sink.wait_for(1)
        assert sent.rcpt_tos == ["emma@northwind.example"]
        body = sent.message.get_content()
        assert body.startswith("Yes: 12 days by sea.") and "Do you ship to Rotterdam?" in body, (
            "with the transcript"
        )
        assert f"[#{ticket.number}]" in sent.message["Subject"]
        answer = mail(
            sender="emma@northwind.example",
            to=str(sent.message["Reply-To"]),
            subject=f"Re: {sent.message['Subject']}",
            text="Great, please send the quote.",
            headers={"In-Reply-To": str(sent.message["Message-ID"])},
        )
        result = await (await ingestor(hub)).ingest(box.id, answer)
        assert result.ticket_id == ticket.id, "the client's e-mail answer joins the chat's ticket"
        delivered = await factories.get(hub, Message, reply.id)
        assert delivered.delivery_status is not None and delivered.delivery_status.value == "sent"
        history = await client.get(f"{_base(channel)}/messages", headers=_auth(session["token"]))
        assert [m["text"] for m in history.json()["messages"]][-1] == "Great, please send the quote."
    finally:
        await sink.close()


async def test_without_a_mailbox_the_agent_is_told_plainly(client, hub) -> None:
    from hub.tickets import tickets

    channel = await _chat(hub)
    agent = await factories.user(hub, Role.AGENT)
    session = await _session(client, channel)
    first = (await _say(client, channel, session["token"], "请邮件联系我")).json()["message"]
    await client.post(
        f"{_base(channel)}/email", json={"email": "zhao@client.example"}, headers=_auth(session["token"])
    )
    ticket = await _ticket_of(hub, first["id"])
    reply = await tickets.reply(hub, factories.actor(agent), ticket.id, tickets.Draft(text="好的"))
    failed = await factories.get(hub, Message, reply.id)
    assert failed.delivery_status is not None and failed.delivery_status.value == "failed"
    assert failed.meta["delivery_error"]["code"] == "delivery_webchat_no_mailbox"
    assert "zhao@client.example" in (failed.delivery_error or "") or failed.meta["delivery_error"]["params"]


async def test_a_visitor_sends_a_file_within_the_limits(client, hub) -> None:
    channel = await _chat(hub, attachment_max_bytes=1000, attachment_types=["image/png"])
    session = await _session(client, channel)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100

    async def send(name: str, data: bytes, kind: str):
        return await client.post(
            f"{_base(channel)}/attachments",
            files={"file": (name, data, kind)},
            data={"client_message_id": str(uuid.uuid4())},
            headers=_auth(session["token"]),
        )

    sent = await send("shot.png", png, "image/png")
    assert sent.status_code == 201, sent.text
    (attachment,) = sent.json()["message"]["attachments"]
    assert attachment["filename"] == "shot.png" and attachment["size"] == len(png)
    served = await client.get(attachment["url"])
    assert served.status_code == 200 and served.content == png
    assert served.headers["x-content-type-options"] == "nosniff"
    assert (await client.get(attachment["url"].replace("sig=", "sig=0"))).status_code == 404
    assert_problem(await send("big.png", png * 20, "image/png"), 413, "webchat_attachment_too_large")
    assert_problem(await send("page.html", b"<script>", "text/html"), 415, "webchat_attachment_refused")


async def test_a_visitors_text_is_kept_as_text(client, hub) -> None:
    channel = await _chat(hub)
    session = await _session(client, channel, prechat={"name": "王\u0000先生 <img src=x>"})
    visitor = await factories.get(hub, WebchatVisitor, uuid.UUID(session["visitor_id"]))
    assert visitor.name == "王先生 <img src=x>", "no NUL reaches the database; the rest is kept as typed"
    sent = await _say(client, channel, session["token"], "<script>alert(1)</script>\u0000")
    assert sent.json()["message"]["text"] == "<script>alert(1)</script>"
    bad = await client.post(
        f"{_base(channel)}/email", json={"email": "not-an-address"}, headers=_auth(session["token"])
    )
    assert_problem(bad, 422, "webchat_bad_email")
