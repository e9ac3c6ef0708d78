"""The one shape every channel kind has: ``channels/<kind>/spec.py`` exports a :class:`ChannelSpec`.

A spec says everything the rest of the hub needs to know of a kind, so adding one (web chat, the
phone) is adding a folder and one line in :data:`channels.catalogue.KINDS`:

* its **settings**, as a typed schema (a frozen ``msgspec.Struct``): checked on every write by the
  core (through :class:`hub.ports.ChannelCatalogue`), turned into ``hub channel add <kind>``'s
  options and into the admin form's fields (:func:`form_fields`), published by the API;
* how given settings become the stored config (:attr:`ChannelSpec.store`: WeChat seals its token);
* what it needs at run time, built once per process by :attr:`ChannelSpec.connect` from the shared
  :class:`Resources`: its sender, its follow-ups after ingest, its long-running watchers, and the
  state its routes and :attr:`ChannelSpec.jobs` share;
* the HTTP routes its traffic arrives on, as plain functions over :class:`WebhookRequest` that
  ``web/`` mounts without knowing what they do.

Spec modules stay light (no HTTP client, crypto or parser imports at module level): the CLI reads
them to build its options and must start in well under a second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import msgspec
import msgspec.inspect as mi

if TYPE_CHECKING:
    import uuid

    import httpx
    from redis.asyncio import Redis

    from hub.config import Settings
    from hub.core import Hub
    from hub.intake.inbound import InboundMessage, IngestResult
    from hub.models import Channel
    from hub.ports import AttachmentStore, ChannelSender, JobRequest

#: The name of an environment variable: where a secret is read from, never the secret itself.
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
EMAIL_ADDRESS = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
HTTP_URL = r"^https?://\S+$"
#: Read by whichever process uses the channel (a worker, maybe on another host), so a path
#: relative to where a command was typed would mean nothing there.
ABSOLUTE_PATH = r"^/"
#: What a pattern means, for the message an admin reads when a value does not match it.
PATTERN_MEANINGS = {
    ENV_NAME: "must be the name of an environment variable (secrets are never stored)",
    EMAIL_ADDRESS: "must be an e-mail address",
    HTTP_URL: "must be an http:// or https:// URL",
    ABSOLUTE_PATH: "must be an absolute file path",
}


def setting(
    en: str, zh: str, *, sealed: bool = False, required: bool = False, **constraints: Any
) -> msgspec.Meta:
    """One setting's help in both languages and its constraints.

    A setting with a ``pattern`` of its own phrases ``en`` to follow "must be" (an admin whose value
    does not match reads "aes_key: must be the 43-character EncodingAESKey ...").

    ``sealed`` settings are secrets the hub needs itself: given in clear, stored sealed under
    ``<name>_sealed`` (bound to the channel), never shown back, kept by an update that does not
    give them again; so they are optional in the schema and ``required`` says they are needed
    when a channel is added.
    """
    extra: dict[str, Any] = {"help": {"en": en, "zh-CN": zh}}
    if sealed:
        extra["sealed"] = True
    if required:
        extra["required"] = True
    return msgspec.Meta(description=en, extra=extra, **constraints)


class NoSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A kind without settings of its own (yet)."""


@dataclass(frozen=True)
class Resources:
    """What the composition root lends every channel kind: one HTTP client, one Redis, one store."""

    settings: Settings
    http: httpx.AsyncClient
    redis: Redis
    storage: AttachmentStore
    #: The hub these resources serve, once it exists (:meth:`channels.catalogue.Catalogue.bind`):
    #: a sender that must read more than the outbound message (web chat's visitor, gone from the
    #: page, continues by e-mail) reads it through the hub.
    hub: Hub | None = None


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request to a channel's route, without the web framework: the body is read only when
    asked for, so a route checks its caller's credentials before reading anything large."""

    channel_id: uuid.UUID
    query: Mapping[str, str]
    headers: Mapping[str, str]
    client: str
    body: Callable[[], Awaitable[bytes]]
    #: The body decoded as the route's ``body_type``, when it declares one.
    data: Any = None


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: bytes | str
    media_type: str = "text/plain"
    #: Further response headers (a browser-facing kind's CORS answer, ``Retry-After``).
    headers: Mapping[str, str] = field(default_factory=dict)


#: A route's handler gets its kind's :class:`Connection` (as the kind built it) and the hub.
Handler = Callable[[Any, "Hub", WebhookRequest], Awaitable[WebhookResponse]]
#: Runs before the body is read or decoded; raises a :class:`hub.errors.HubError` to refuse.
Guard = Callable[[Any, "Hub", WebhookRequest], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    """An endpoint the kind's traffic arrives on. ``path`` has one ``{channel_id:uuid}`` parameter;
    the route is public (its handler authenticates the caller: a signature or the channel's token)."""

    #: ``OPTIONS`` answers a browser's CORS preflight itself (web chat's widget on another origin).
    method: Literal["GET", "POST", "OPTIONS"]
    path: str
    handler: Handler
    summary: str
    guard: Guard | None = None
    #: What the body is (a msgspec type), when it is JSON: decoded and checked before the
    #: handler runs (a bad body is answered 400/422 naming the field), and described in the API.
    body_type: type | None = None
    #: What a 200 answer holds, for the API description, when it is JSON.
    answer_type: type | None = None


class ChannelSocket(Protocol):
    """A WebSocket to a kind's socket route, without the web framework (web chat's visitors).

    ``subscribe`` listens to live-update channels (Redis pub/sub, shared by every socket of the
    process) while its context is open, handing each payload to ``forward``."""

    channel_id: uuid.UUID
    headers: Mapping[str, str]
    client: str

    async def accept(self) -> None: ...

    async def receive_text(self) -> str:
        """The next text frame; :class:`SocketClosed` once the client went away (bound the wait
        with ``asyncio.timeout``)."""
        ...

    async def send_text(self, text: str) -> None: ...

    async def close(self, code: int = 1000) -> None: ...

    def subscribe(
        self, channels: Sequence[str], forward: Callable[[bytes], Awaitable[None]]
    ) -> AbstractAsyncContextManager[None]: ...


class SocketClosed(Exception):
    """The client closed its socket (or the connection dropped)."""


#: A socket route's handler: the kind's connection, the hub, the socket (not yet accepted).
SocketHandler = Callable[[Any, "Hub", ChannelSocket], Awaitable[None]]


@dataclass(frozen=True)
class SocketRoute:
    """A WebSocket endpoint of the kind (``path`` with one ``{channel_id:uuid}``); public, like
    :class:`Route`: the handler authenticates the client before it subscribes to anything."""

    path: str
    handler: SocketHandler
    summary: str


@dataclass(frozen=True)
class Job:
    """Background work of one kind, run by the worker. ``run`` gets the kind's connection, the hub,
    the try number (from 1) and the job's arguments; it raises :class:`hub.errors.RetryLater` to be
    tried again after a pause."""

    name: str
    run: Callable[..., Awaitable[Any]]
    max_tries: int = 3
    timeout_seconds: float = 60.0


#: Given a batch of freshly processed messages of one kind, the jobs they need.
FollowUps = Callable[["Hub", list[tuple["InboundMessage", "IngestResult"]]], Awaitable[list["JobRequest"]]]


class Watcher(Protocol):
    """Something a kind keeps running beside the worker (a mailbox's IMAP connection)."""

    async def stop(self) -> None: ...


@dataclass
class Connection:
    """A kind at run time, built once per process. Subclasses keep what their routes and jobs share
    (WeChat: its API client and the per-channel config cache)."""

    sender: ChannelSender | None = None
    follow_ups: FollowUps | None = None
    #: Started by the worker, stopped with it.
    watch: Callable[[Hub], Watcher] | None = None
    #: An agent is typing a reply on a ticket of this kind (``True``) or stopped: a live channel
    #: (web chat) tells the person on the other side. Called with the hub, the ticket's id and
    #: the agent's name.
    typing: Callable[[Hub, uuid.UUID, bool, str], Awaitable[None]] | None = None
    #: What the kind knows of the person on a ticket right now (web chat: the page they are on,
    #: their browser, whether they are still there), shown to the agent beside the ticket as
    #: label → text pairs (labels are i18n keys, texts are shown as plain text).
    context: Callable[[Hub, uuid.UUID], Awaitable[Sequence[tuple[str, str]]]] | None = None


@dataclass(frozen=True)
class Finding:
    """One thing a channel's self-test found (``hub doctor``): ``fail`` means its traffic stops."""

    level: Literal["ok", "warn", "fail"]
    #: What was tried: "SMTP", "IMAP", "access token", "callback URL".
    part: str
    detail: str


#: Tries what a channel of the kind needs (a login, a token) without sending anything to anyone.
Check = Callable[[Any, "Hub", "Channel"], Awaitable[list[Finding]]]


async def _nothing_to_check(connection: Any, hub: Hub, channel: Channel) -> list[Finding]:
    return []


@dataclass(frozen=True)
class Announcement:
    """What ``hub channel add`` (and the admin page) tells the admin once a channel exists."""

    lines: Sequence[str] = ()
    #: Added to ``hub channel add --json``'s object.
    fields: Mapping[str, str] = field(default_factory=dict)


def _announce_nothing(base_url: str, channel_id: uuid.UUID, config: Mapping[str, Any]) -> Announcement:
    return Announcement()


def _store_as_given(
    form: Any, channel_id: uuid.UUID, master_key: str, previous: Mapping[str, Any]
) -> dict[str, Any]:
    return {k: v for k, v in msgspec.to_builtins(form).items() if v is not None}


def _no_secrets(master_key: str, channel_id: uuid.UUID, config: Mapping[str, Any]) -> Mapping[str, str]:
    return {}


def _no_sockets() -> Sequence[SocketRoute]:
    return ()


def _plain(resources: Resources) -> Connection:
    return Connection()


def _no_routes() -> Sequence[Route]:
    return ()


def sealed_purpose(channel_id: uuid.UUID, kind: str, name: str) -> str:
    """What a sealed setting is bound to: copied into another field or channel, it does not open."""
    return f"channel:{channel_id}:{kind}:{name}"


@dataclass(frozen=True)
class ChannelSpec:
    kind: str
    title: Mapping[str, str]
    #: The settings an admin gives (CLI options, form fields, the API's ``config``).
    form: type[msgspec.Struct] = NoSettings
    #: Given settings (checked) → the stored config. ``previous`` is the stored config an update
    #: replaces, from which sealed secrets not given again are kept.
    store: Callable[[Any, uuid.UUID, str, Mapping[str, Any]], dict[str, Any]] = _store_as_given
    #: Channels of this kind get an inbound token (shown once) that authenticates their traffic.
    issues_token: bool = False
    #: Characters of a message body; a longer text is kept whole as an attachment
    #: (:mod:`hub.intake.message_size`). Chat-like kinds carry short messages.
    body_limit: int = 10_000
    connect: Callable[[Resources], Connection] = _plain
    #: Built when the web app is (the routes' types may import the core).
    routes: Callable[[], Sequence[Route]] = _no_routes
    jobs: Sequence[Job] = ()
    announce: Callable[[str, uuid.UUID, Mapping[str, Any]], Announcement] = _announce_nothing
    #: WebSocket endpoints beside the routes (web chat's visitors), mounted like them.
    sockets: Callable[[], Sequence[SocketRoute]] = _no_sockets
    #: Secrets the kind issued itself when the channel was created (web chat's identity secret),
    #: opened from the stored config to be shown to the admin once: ``hub channel add --json``.
    issued_secrets: Callable[[str, uuid.UUID, Mapping[str, Any]], Mapping[str, str]] = _no_secrets
    #: Replies are delivered by the process that committed them, right after the commit, instead
    #: of waiting for the worker to pick the job up (it polls every 200 ms): a chat's visitor waits
    #: on the reply. The queued job stays as the fallback and finds the row already sent.
    deliver_at_once: bool = False
    #: Examples shown under ``hub channel add <kind> --help``.
    example: str = ""
    check: Check = _nothing_to_check


@dataclass(frozen=True)
class FormField:
    """One setting as a form or a command line shows it."""

    name: str
    #: ``list``: several texts (a widget's allowed origins, a line's numbers).
    kind: Literal["text", "integer", "number", "boolean", "choice", "list"]
    required: bool
    default: Any
    help: Mapping[str, str]
    choices: tuple[str, ...] = ()
    sealed: bool = False
    minimum: float | None = None
    #: The minimum itself is not allowed (a number of seconds above zero).
    above_minimum: bool = False
    maximum: float | None = None
    pattern: str | None = None


_KINDS: dict[type, Literal["text", "integer", "number", "boolean", "choice", "list"]] = {
    mi.StrType: "text",
    mi.IntType: "integer",
    mi.FloatType: "number",
    mi.BoolType: "boolean",
    mi.LiteralType: "choice",
    mi.ListType: "list",
}


def form_fields(form: type[msgspec.Struct]) -> list[FormField]:
    """The settings of ``form``, in declaration order, as a form or the CLI shows them."""
    info = mi.type_info(form)
    assert isinstance(info, mi.StructType)
    fields = []
    for item in info.fields:
        kind = item.type
        if isinstance(kind, mi.UnionType):  # X | None: optional
            kind = next(t for t in kind.types if not isinstance(t, mi.NoneType))
        extra: dict[str, Any] = {}
        if isinstance(kind, mi.Metadata):
            extra = kind.extra or {}
            kind = kind.type
        default = None if item.default is msgspec.NODEFAULT else item.default
        if item.default_factory is not msgspec.NODEFAULT:
            default = item.default_factory()
        low, above = getattr(kind, "ge", None), False
        if low is None and getattr(kind, "gt", None) is not None:
            low, above = getattr(kind, "gt", None), True
        fields.append(
            FormField(
                name=item.name,
                kind=_KINDS[type(kind)],
                required=item.required or bool(extra.get("required")),
                default=default,
                help=extra.get("help", {}),
                choices=tuple(str(v) for v in getattr(kind, "values", ())),
                sealed=bool(extra.get("sealed")),
                minimum=low,
                above_minimum=above,
                maximum=getattr(kind, "le", None),
                pattern=getattr(kind, "pattern", None),
            )
        )
    return fields


class SettingsProblem(ValueError):
    """Given settings do not fit the kind's schema; the message names the setting (never a secret)."""


def check_form(form: type[msgspec.Struct], given: Mapping[str, Any]) -> Any:
    """``given`` as the kind's typed settings, or :class:`SettingsProblem` naming what is wrong."""
    try:
        return msgspec.convert(dict(given), form)
    except msgspec.ValidationError as exc:
        raise SettingsProblem(_plain_message(str(exc), form)) from None


def _plain_message(message: str, form: type[msgspec.Struct]) -> str:
    """msgspec says "Expected `int` >= 1 - at `$.smtp_port`"; an admin reads "smtp_port: expected
    `int` >= 1", and what a pattern means rather than the pattern."""
    for prefix, meaning in (
        ("Object missing required field `", "is required"),
        ("Object contains unknown field `", "is not a setting of this kind of channel"),
    ):
        if message.startswith(prefix):
            return f"{message[len(prefix) :].split('`', 1)[0]}: {meaning}"
    text, _, where = message.partition(" - at `$.")
    name = where.rstrip("`")
    if "matching regex" in text:
        found = next((f for f in form_fields(form) if f.name == name), None)
        if found is not None and found.pattern is not None:
            text = PATTERN_MEANINGS.get(found.pattern) or f"must be {found.help.get('en', 'valid')}"
    if where:
        return f"{name}: {text[0].lower()}{text[1:]}"
    return message
