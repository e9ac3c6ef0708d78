"""The widget's REST endpoints (``docs/webchat.md``): every write, idempotent by the client's id.

Each route checks, before anything else, that the channel exists and that the request's
``Origin`` is one of the channel's allowed origins: a page of another site gets 403 and no CORS
headers, so its browser shows it nothing. The visitor's token (``Authorization: Bearer``) names the
only conversation the request may read or write.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
import sqlalchemy as sa

from channels.spec import Route, WebhookRequest, WebhookResponse
from channels.webchat import answers, live, tokens, visitors
from channels.webchat.answers import WidgetProblem
from channels.webchat.connection import WebchatConnection, WidgetChannel
from hub.core import Hub
from hub.csat import surveys
from hub.errors import HubError, InvalidInput, NotFound
from hub.intake import ingest
from hub.intake.inbound import InboundAttachment, InboundMessage, Sender
from hub.models import Attachment, CsatSurvey, Message, Ticket, User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A body the widget sends is small; an attachment's limit is the channel's own.
MAX_JSON_BYTES = 64 * 1024

T = TypeVar("T")


class Page(msgspec.Struct, forbid_unknown_fields=False):
    url: str = ""
    referrer: str | None = None
    language: str | None = None
    title: str | None = None


class Prechat(msgspec.Struct, forbid_unknown_fields=False):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class SessionIn(msgspec.Struct, forbid_unknown_fields=False):
    token: str | None = None
    prechat: Prechat | None = None
    page: Page = msgspec.field(default_factory=Page)


class MessageIn(msgspec.Struct, forbid_unknown_fields=False):
    client_message_id: str
    text: str


class IdentifyIn(msgspec.Struct, forbid_unknown_fields=False):
    id: str
    hash: str
    name: str | None = None
    email: str | None = None


class TypingIn(msgspec.Struct, forbid_unknown_fields=False):
    typing: bool


class ReadIn(msgspec.Struct, forbid_unknown_fields=False):
    message_id: uuid.UUID


class EmailIn(msgspec.Struct, forbid_unknown_fields=False):
    email: str


class CsatIn(msgspec.Struct, forbid_unknown_fields=False):
    message_id: uuid.UUID
    rating: int
    comment: str | None = None


@dataclasses.dataclass(frozen=True)
class Call:
    """One widget request, its channel found and its origin allowed."""

    connection: WebchatConnection
    hub: Hub
    request: WebhookRequest
    channel: WidgetChannel

    async def decode(self, kind: type[T]) -> T:
        body = await self.request.body()
        if len(body) > MAX_JSON_BYTES:
            raise WidgetProblem(413, "webchat_too_large")
        try:
            return msgspec.json.decode(body or b"{}", type=kind)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise WidgetProblem(422, "invalid_input", detail=str(exc)) from None

    def visitor(self) -> uuid.UUID:
        found = tokens.read(self.connection.master_key, self.channel.id, tokens.bearer(self.request.headers))
        if found is None:
            raise WidgetProblem(401, "webchat_token_required")
        return found

    async def limit(self, visitor_id: uuid.UUID | None = None) -> None:
        assert self.connection.limits is not None
        budgets = {
            f"ip:{self.channel.id}:{self.request.client}": self.channel.settings.address_requests_per_minute
        }
        if visitor_id is not None:
            budgets[f"visitor:{visitor_id}"] = self.channel.settings.visitor_messages_per_minute
        wait = await self.connection.limits.spend(budgets)
        if wait:
            raise WidgetProblem(429, "webchat_rate_limited", headers={"Retry-After": str(wait)}, seconds=wait)


Handler = Callable[[Call], Awaitable[WebhookResponse]]


def page_origin(headers: Any, allowed: list[str]) -> str:
    """The origin of the page asking. A browser names it in ``Origin`` on every cross-origin call
    (and on every WebSocket); a same-origin ``GET`` carries none, and then the page is the hub's
    own host (a shop page the hub itself serves, as the demo's)."""
    origin = str(headers.get("origin", "") or "")
    if origin:
        return origin
    host = str(headers.get("host", "") or "")
    return next((o for o in (f"https://{host}", f"http://{host}") if host and o in allowed), "")


def _widget(handler: Handler) -> Callable[[Any, Hub, WebhookRequest], Awaitable[WebhookResponse]]:
    async def run(connection: WebchatConnection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
        try:
            channel = await connection.channel(hub, request.channel_id)
        except NotFound:
            return answers.problem(request.headers, 404, "not_found", what="channel")
        origin = page_origin(request.headers, channel.settings.origins)
        if origin not in channel.settings.origins:
            return answers.problem(request.headers, 403, "webchat_origin_refused")
        try:
            answer = await handler(Call(connection, hub, request, channel))
        except WidgetProblem as exc:
            answer = answers.problem(request.headers, exc.status, exc.code, headers=exc.headers, **exc.params)
        except InvalidInput as exc:
            answer = answers.problem(request.headers, 422, exc.code, **exc.params)
        except HubError as exc:
            answer = answers.problem(
                request.headers, 404 if isinstance(exc, NotFound) else 400, exc.code, **exc.params
            )
        return dataclasses.replace(answer, headers={**answers.cors(origin), **answer.headers})

    return run


async def _preflight(call: Call) -> WebhookResponse:
    return WebhookResponse(204, b"")


# --- config and sessions ----------------------------------------------------------------------


def _config(channel: WidgetChannel, online: bool) -> dict[str, Any]:
    s = channel.settings
    return {
        "name": channel.name,
        "colour": s.colour,
        "greeting": {"zh-CN": s.greeting_zh, "en": s.greeting_en},
        "position": s.position,
        "language": s.language,
        "prechat": {"name": s.prechat_name, "email": s.prechat_email, "phone": s.prechat_phone},
        "online": online,
        "attachments": {"max_bytes": s.attachment_max_bytes, "types": list(s.attachment_types)},
    }


async def _get_config(call: Call) -> WebhookResponse:
    return answers.json(_config(call.channel, await call.connection.online(call.hub, call.channel)))


def _clip(value: str | None, limit: int) -> str | None:
    """A visitor's short text as it can be stored: no NUL, no lone surrogate, trimmed, cut."""
    if not value:
        return None
    value = value.replace("\x00", "").encode("utf-8", "replace").decode().strip()
    return value[:limit] or None


def _page(page: Page, headers: Any) -> dict[str, Any]:
    found = {
        "url": _clip(page.url, 2000),
        "referrer": _clip(page.referrer, 2000),
        "title": _clip(page.title, 300),
        "language": _clip(page.language or headers.get("accept-language", "").split(",")[0], 35),
        "browser": _clip(headers.get("user-agent"), 300),
    }
    return {k: v for k, v in found.items() if v}


def _prechat(given: Prechat | None) -> dict[str, str]:
    if given is None:
        return {}
    found = {
        "name": _clip(given.name, 200),
        "email": _clip(given.email, 320),
        "phone": _clip(given.phone, 64),
    }
    if found["email"] and not EMAIL.match(found["email"]):
        raise WidgetProblem(422, "webchat_bad_email")
    return {k: v for k, v in found.items() if v}


async def _agent(hub: Hub, channel_id: uuid.UUID, visitor_id: uuid.UUID) -> dict[str, str] | None:
    async with hub.session_factory() as session:
        ticket = await visitors.current_ticket(session, channel_id, visitor_id)
        if ticket is None or ticket.assignee_id is None:
            return None
        name = await session.scalar(sa.select(User.name).where(User.id == ticket.assignee_id))
    return {"name": name} if name else None


async def _post_session(call: Call) -> WebhookResponse:
    await call.limit()
    data = await call.decode(SessionIn)
    key = call.connection.master_key
    visitor_id = tokens.read(key, call.channel.id, data.token) or uuid.uuid4()
    await visitors.touch(
        call.hub,
        call.channel.id,
        visitor_id,
        page=_page(data.page, call.request.headers),
        prechat=_prechat(data.prechat),
    )
    answer: dict[str, Any] = {
        "token": tokens.issue(key, call.channel.id, visitor_id),
        "visitor_id": str(visitor_id),
        "messages": await visitors.transcript(call.hub, key, call.channel.id, visitor_id),
        "online": await call.connection.online(call.hub, call.channel),
    }
    agent = await _agent(call.hub, call.channel.id, visitor_id)
    if agent:
        answer["agent"] = agent
    return answers.json(answer)


# --- messages -----------------------------------------------------------------------------------


async def _ready_to_chat(call: Call, visitor_id: uuid.UUID) -> str | None:
    """The visitor's name for the ticket; refuses while a required pre-chat answer is missing."""
    row = await visitors.get(call.hub, visitor_id)
    if row is None:
        row = await visitors.touch(call.hub, call.channel.id, visitor_id)
    s = call.channel.settings
    missing = [
        name
        for name, asked in (("name", s.prechat_name), ("email", s.prechat_email), ("phone", s.prechat_phone))
        if asked == "required" and not getattr(row, name)
    ]
    if missing:
        raise WidgetProblem(422, "webchat_prechat_required", fields=", ".join(missing))
    return row.name


def _client_id(value: str) -> str:
    value = value.strip()
    if not value or len(value) > 100:
        raise WidgetProblem(422, "invalid_input", detail="client_message_id must be 1 to 100 characters")
    return value


async def _one_message(call: Call, message_id: uuid.UUID) -> dict[str, Any]:
    async with call.hub.session_factory() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        attachments = list(
            await session.scalars(sa.select(Attachment).where(Attachment.message_id == message_id))
        )
    url = visitors.file_url(call.connection.master_key, call.channel.id)
    return visitors.message_json(message, attachments, author=None, file_url=url)


async def _ingest(
    call: Call,
    visitor_id: uuid.UUID,
    client_id: str,
    *,
    text: str = "",
    attachments: tuple[InboundAttachment, ...] = (),
    payload: bytes | None = None,
) -> WebhookResponse:
    name = await _ready_to_chat(call, visitor_id)
    message = InboundMessage(
        channel_id=call.channel.id,
        external_id="",
        sender=Sender(identity=str(visitor_id), name=name),
        type="text",
        text=text,
        attachments=attachments,
        thread_ref=str(visitor_id),
        client_message_id=client_id,
        meta={"client_message_id": client_id},
    )
    result = await ingest.ingest(call.hub, message, payload=payload)
    assert result.message_id is not None
    return answers.json(
        {"message": await _one_message(call, result.message_id), "duplicate": result.duplicate}, status=201
    )


async def _post_message(call: Call) -> WebhookResponse:
    visitor_id = call.visitor()
    await call.limit(visitor_id)
    data = await call.decode(MessageIn)
    text = data.text.replace("\r\n", "\n")
    if not text.strip():
        raise WidgetProblem(422, "webchat_empty")
    if len(text) > call.channel.settings.message_max_chars:
        raise WidgetProblem(413, "webchat_too_long", limit=call.channel.settings.message_max_chars)
    return await _ingest(
        call, visitor_id, _client_id(data.client_message_id), text=text, payload=await call.request.body()
    )


async def _get_messages(call: Call) -> WebhookResponse:
    visitor_id = call.visitor()
    after: uuid.UUID | None = None
    if call.request.query.get("after"):
        try:
            after = uuid.UUID(call.request.query["after"])
        except ValueError:
            raise WidgetProblem(422, "invalid_input", detail="after must be a message id") from None
    messages = await visitors.transcript(
        call.hub, call.connection.master_key, call.channel.id, visitor_id, after=after
    )
    return answers.json({"messages": messages})


async def _post_attachment(call: Call) -> WebhookResponse:
    from channels.webchat.uploads import read_upload

    visitor_id = call.visitor()
    await call.limit(visitor_id)
    s = call.channel.settings
    if s.attachment_max_bytes <= 0:
        raise WidgetProblem(415, "webchat_attachment_refused", filename="")
    upload = read_upload(call.request.headers.get("content-type", ""), await call.request.body())
    if upload is None:
        raise WidgetProblem(422, "invalid_input", detail="a multipart body with file and client_message_id")
    if len(upload.data) > s.attachment_max_bytes:
        raise WidgetProblem(
            413, "webchat_attachment_too_large", filename=upload.filename, limit=s.attachment_max_bytes
        )
    if upload.content_type not in s.attachment_types:
        raise WidgetProblem(415, "webchat_attachment_refused", filename=upload.filename)
    attachment = InboundAttachment(
        filename=upload.filename, content_type=upload.content_type, data=upload.data
    )
    return await _ingest(call, visitor_id, _client_id(upload.client_message_id), attachments=(attachment,))


# --- identity, typing, read marks, offline e-mail ---------------------------------------------------


async def _post_identify(call: Call) -> WebhookResponse:
    from channels.webchat.identify import join_contact

    visitor_id = call.visitor()
    await call.limit()
    data = await call.decode(IdentifyIn)
    user_id = _clip(data.id, 200) or ""
    if not tokens.identity_verified(call.channel.secret, user_id, data.hash):
        return answers.json({"verified": False})
    email = _clip(data.email, 320)
    if email and not EMAIL.match(email):
        email = None
    await join_contact(
        call.hub, call.channel.id, visitor_id, user_id=user_id, name=_clip(data.name, 200), email=email
    )
    return answers.json({"verified": True})


async def _post_typing(call: Call) -> WebhookResponse:
    from channels.webchat.typing import visitor_typing

    visitor_id = call.visitor()
    data = await call.decode(TypingIn)
    await visitor_typing(call.connection, call.hub, call.channel.id, visitor_id, data.typing)
    return WebhookResponse(204, b"")


async def read_mark(
    connection: WebchatConnection,
    hub: Hub,
    channel_id: uuid.UUID,
    visitor_id: uuid.UUID,
    message_id: uuid.UUID,
    status: str,
) -> None:
    """The visitor's browser got (``delivered``) or showed (``read``) the agent's messages up to one:
    the agent's ticket page and the visitor's other tabs hear of it."""
    from hub.ports import RealtimeEvent
    from hub.realtime import for_ticket

    moved = await visitors.mark(hub, channel_id, visitor_id, message_id, status)
    if not moved:
        return
    frames = [msgspec.json.encode({"event": "status", "id": str(m), "status": status}) for _, m in moved]
    async with connection.redis.pipeline(transaction=False) as pipe:
        for frame in frames:
            pipe.publish(live.conversation(channel_id, visitor_id), frame)
        await pipe.execute()
    async with hub.session_factory() as session:
        tickets = {
            t.id: t
            for t in await session.scalars(sa.select(Ticket).where(Ticket.id.in_({t for t, _ in moved})))
        }
    await hub.publisher.publish(
        [
            RealtimeEvent(
                name="message.updated",
                channels=tuple(
                    for_ticket(
                        team_id=tickets[t].team_id, assignee_id=tickets[t].assignee_id, organization_id=None
                    )
                ),
                data={"ticket_id": str(t), "message_id": str(m), "webchat_status": status},
            )
            for t, m in moved
            if t in tickets
        ]
    )


async def _post_read(call: Call) -> WebhookResponse:
    visitor_id = call.visitor()
    data = await call.decode(ReadIn)
    await read_mark(call.connection, call.hub, call.channel.id, visitor_id, data.message_id, "read")
    return WebhookResponse(204, b"")


async def _post_email(call: Call) -> WebhookResponse:
    visitor_id = call.visitor()
    await call.limit()
    data = await call.decode(EmailIn)
    email = _clip(data.email, 320)
    if not email or not EMAIL.match(email):
        raise WidgetProblem(422, "webchat_bad_email")
    await visitors.touch(call.hub, call.channel.id, visitor_id)
    await visitors.update(call.hub, visitor_id, email=email)
    return answers.json({"email": email})


async def _post_csat(call: Call) -> WebhookResponse:
    """The visitor's rating of the survey in their conversation (the faces under its question)."""
    visitor_id = call.visitor()
    await call.limit(visitor_id)
    data = await call.decode(CsatIn)
    async with call.hub.session_factory() as session:
        contact_id = await visitors.contact_of(session, visitor_id)
        survey_id = await session.scalar(
            sa.select(CsatSurvey.id).where(
                CsatSurvey.message_id == data.message_id,
                CsatSurvey.contact_id == contact_id,
                CsatSurvey.channel_id == call.channel.id,
            )
        )
    if contact_id is None or survey_id is None:
        raise WidgetProblem(404, "not_found", what="csat_survey")
    if not 1 <= data.rating <= 5:
        raise WidgetProblem(422, "invalid_input", detail="rating must be 1 to 5")
    try:
        survey = await surveys.answer(call.hub, survey_id, data.rating, data.comment)
    except surveys.SurveyClosed:
        raise WidgetProblem(409, "csat_closed") from None
    return answers.json({"message_id": str(data.message_id), "csat": visitors.survey_json(survey.rating)})


# --- attachments, read back by link --------------------------------------------------------------


async def get_file(connection: WebchatConnection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    """An attachment of the conversation, by the signed link the transcript gave (an ``<img>`` or a
    download link cannot send the visitor's token). Served as a download, never as a page."""
    try:
        attachment_id = uuid.UUID(request.query.get("id", ""))
    except ValueError:
        return answers.problem(request.headers, 404, "not_found", what="file")
    expected = tokens.file_signature(connection.master_key, request.channel_id, attachment_id)
    import hmac

    if not hmac.compare_digest(request.query.get("sig", ""), expected):
        return answers.problem(request.headers, 404, "not_found", what="file")
    async with hub.session_factory() as session:
        found = await session.scalar(
            sa.select(Attachment)
            .join(Message, Message.id == Attachment.message_id)
            .join(Ticket, Ticket.id == Message.ticket_id)
            .where(Attachment.id == attachment_id, Ticket.channel_id == request.channel_id)
        )
    if found is None:
        return answers.problem(request.headers, 404, "not_found", what="file")
    inline = found.content_type.startswith("image/") and found.content_type != "image/svg+xml"
    disposition = "inline" if inline else "attachment"
    return WebhookResponse(
        200,
        hub.storage.get(found.sha256),
        found.content_type if inline else "application/octet-stream",
        {
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{_quote(found.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=86400",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def routes(base: str) -> tuple[Route, ...]:
    table: list[tuple[str, str, Handler, str]] = [
        ("GET", "/config", _get_config, "The widget's settings and whether someone is there"),
        ("POST", "/sessions", _post_session, "Start or resume a visitor's session"),
        ("POST", "/messages", _post_message, "A visitor's message (idempotent by client_message_id)"),
        ("GET", "/messages", _get_messages, "The visitor's messages after one (history, resume)"),
        ("POST", "/attachments", _post_attachment, "A visitor's file (multipart)"),
        ("POST", "/identify", _post_identify, "HubChat.setUser: a verified identity"),
        ("POST", "/typing", _post_typing, "The visitor is typing (or stopped)"),
        ("POST", "/read", _post_read, "The visitor read the agent's messages up to one"),
        ("POST", "/email", _post_email, "Offline: continue the conversation by e-mail"),
        ("POST", "/csat", _post_csat, "The visitor's answer to a satisfaction survey (1-5 and a comment)"),
    ]
    # The preflights first: a path whose first handler is not OPTIONS gets the framework's own
    # (which knows nothing of CORS), and a second one for it is refused.
    paths = dict.fromkeys(path for _, path, _, _ in table)
    declared = [Route("OPTIONS", base + path, _widget(_preflight), "CORS preflight") for path in paths]
    declared += [Route(method, base + path, _widget(h), summary) for method, path, h, summary in table]  # type: ignore[arg-type]
    declared.append(
        Route("GET", base + "/files", get_file, "An attachment of the conversation, by signed link")
    )
    return tuple(declared)
