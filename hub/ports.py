"""The small interfaces through which the hub reaches the outside world.

Composition roots (``web.app``, ``web.worker``, the CLI, tests) supply implementations;
the hub never imports them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from hub.delivery.outbound import DeliveryResult, OutboundMessage

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping


class RealtimeEvent(msgspec.Struct, frozen=True):
    """A live update for inboxes: ``name`` like ``ticket.created``, sent to bounded channel names."""

    name: str
    channels: tuple[str, ...]
    data: dict[str, Any]


class EventPublisher(Protocol):
    async def publish(self, events: list[RealtimeEvent]) -> None: ...


class JobRequest(msgspec.Struct, frozen=True):
    function: str
    args: tuple[Any, ...] = ()
    job_id: str | None = None
    defer_seconds: float = 0.0


class JobQueue(Protocol):
    async def enqueue(self, jobs: list[JobRequest]) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ChannelSender(Protocol):
    #: The receiving end recognises a second send of the same message and drops it (the API
    #: channel's ``X-Hub-Delivery``). When False (SMTP, WeChat: a second send is a second message a
    #: client reads), a send cut short by a dead worker is never repeated: it fails visibly as
    #: "outcome unknown" for an agent to check (:func:`hub.delivery.delivery.deliver`).
    resend_safe: bool

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Deliver or raise :class:`hub.errors.DeliveryError` (transient or permanent)."""
        ...


class ChannelCatalogue(Protocol):
    """What the hub needs to know of the channel kinds this build ships (``channels/<kind>/spec.py``).

    The hub stores a channel's settings and sends its replies without knowing any kind's shape:
    the catalogue checks settings against the kind's typed schema (and seals its secrets) on every
    write, says whether the kind authenticates its traffic with a token of its own, and lends the
    kind's sender.
    """

    def configure(
        self,
        kind: str,
        channel_id: uuid.UUID,
        given: Mapping[str, Any],
        previous: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The config to store for the settings an admin gave, or :class:`hub.errors.InvalidInput`
        naming the setting. ``previous`` (an update) keeps sealed secrets that were not given again."""
        ...

    def issues_token(self, kind: str) -> bool:
        """Channels of this kind get an inbound token when added (shown once, stored hashed)."""
        ...

    def body_limit(self, kind: str) -> int:
        """Characters of a message body on this kind; the rest is kept as an attachment."""
        ...

    def sender_for(self, channel_kind: str) -> ChannelSender | None: ...


class AttachmentStore(Protocol):
    """Content-addressed bytes: the key is the SHA-256 of the content."""

    def put(self, data: bytes) -> str: ...

    def get(self, sha256: str) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...


class NotificationMailer(Protocol):
    """E-mails a staff notification (an SLA warning or breach) to one person.

    The e-mail channel implements it and the composition root sets ``Hub.mailer``; while it is
    unset, notifications are in-app only and no e-mail job is ever queued.
    """

    async def send_notification(self, *, to: str, subject: str, text: str) -> None: ...


class NullPublisher:
    async def publish(self, events: list[RealtimeEvent]) -> None:
        return None


class NullSenders:
    def sender_for(self, channel_kind: str) -> ChannelSender | None:
        return None


class PlaybookVersion(msgspec.Struct, frozen=True):
    """One immutable version of a playbook: ``digest`` names its content; ``document`` is the whole
    file as plain data, stored when a run starts so the run keeps it after the file changes."""

    playbook_id: str
    version: int
    digest: str
    scenario: str
    title: dict[str, str]
    document: dict[str, Any]


class PlaybookListing(msgspec.Struct, frozen=True):
    playbook_id: str
    version: int
    digest: str
    scenario: str
    title: dict[str, str]
    source: str
    #: ``file:line: message`` for each problem; a playbook with problems cannot be started.
    problems: tuple[str, ...] = ()


class TicketFacts(msgspec.Struct, frozen=True):
    """What triggers look at: the scenario, channel kind, the client's words and who they are."""

    scenario: str
    channel: str
    text: str
    tier: str | None = None
    organization_kind: str | None = None
    #: The rating of the ticket's survey answer, when the suggestion follows one (1-5).
    csat: int | None = None


class PlaybookSuggestion(msgspec.Struct, frozen=True):
    playbook_id: str
    version: int
    title: dict[str, str]
    #: ``csat``, ``scenario``, ``keyword`` or ``organization``; ``detail`` is the rating, scenario or
    #: word that matched.
    reason: str
    detail: str


class RenderedReply(msgspec.Struct, frozen=True):
    text: str
    #: E-mail only.
    subject: str | None = None
    #: ``phone``: a script the agent reads aloud, never sent.
    script_only: bool = False
    #: The variant used: ``text``, ``email``, ``wechat``, ``wechat_template``, ``webchat``, ``phone``.
    variant: str = "text"


class ToneIssue(msgspec.Struct, frozen=True):
    phrase: str
    #: ``warn`` (sent, reported) or ``block`` (not sent).
    severity: str
    #: ``forbidden`` or ``missing`` (the first reply lacks a required phrase).
    rule: str


class FilledSnippet(msgspec.Struct, frozen=True):
    """A canned answer (``::shortcut`` in the composer) filled in for one ticket; ``problem`` says
    which value is missing when it could not be (never a hole in the client's message)."""

    id: str
    shortcut: str
    title: dict[str, str]
    text: str | None
    problem: str | None = None


class PlaybookCatalogue(Protocol):
    """The playbook library this deployment loaded (``playbooks/``: the shipped one and the
    company's folder). The core runs playbooks without knowing their file format or Jinja."""

    def listing(self) -> list[PlaybookListing]: ...

    def current(self, playbook_id: str) -> PlaybookVersion | None:
        """The newest loaded version without problems, or ``None``."""
        ...

    def suggest(self, facts: TicketFacts) -> list[PlaybookSuggestion]: ...

    def render(
        self,
        document: Mapping[str, Any],
        template: str,
        *,
        locale: str,
        channel: str,
        values: Mapping[str, Any],
        template_fallback: bool = False,
    ) -> RenderedReply:
        """The template of a pinned version filled in; a missing value raises
        :class:`hub.errors.InvalidInput` naming the variable. ``template_fallback``: the WeChat
        window is closed, so the ``wechat_template`` variant is wanted (refused if there is none)."""
        ...

    def tone(
        self, document: Mapping[str, Any], text: str, *, locale: str, first_reply: bool
    ) -> list[ToneIssue]: ...

    def condition(self, expression: str, values: Mapping[str, Any]) -> bool:
        """A branch rule's ``when`` over the run's values (``fields.severity == 'red'``)."""
        ...

    def snippets(self, *, locale: str, values: Mapping[str, Any]) -> list[FilledSnippet]: ...

    def automatic_reply(
        self, kind: str, *, channel: str, values: Mapping[str, Any]
    ) -> tuple[RenderedReply, str] | None:
        """The library's automatic message ``kind`` (``acknowledgement``) on this channel kind,
        filled in, with its ``once_per`` duration; ``None`` when the library has none."""
        ...


class NoPlaybooks:
    """No library loaded: nothing is suggested and nothing can be started."""

    def listing(self) -> list[PlaybookListing]:
        return []

    def current(self, playbook_id: str) -> PlaybookVersion | None:
        return None

    def suggest(self, facts: TicketFacts) -> list[PlaybookSuggestion]:
        return []

    def render(
        self,
        document: Mapping[str, Any],
        template: str,
        *,
        locale: str,
        channel: str,
        values: Mapping[str, Any],
        template_fallback: bool = False,
    ) -> RenderedReply:
        from hub.errors import InvalidInput

        raise InvalidInput(detail="no playbook library is loaded")

    def tone(
        self, document: Mapping[str, Any], text: str, *, locale: str, first_reply: bool
    ) -> list[ToneIssue]:
        return []

    def condition(self, expression: str, values: Mapping[str, Any]) -> bool:
        return False

    def snippets(self, *, locale: str, values: Mapping[str, Any]) -> list[FilledSnippet]:
        return []

    def automatic_reply(
        self, kind: str, *, channel: str, values: Mapping[str, Any]
    ) -> tuple[RenderedReply, str] | None:
        return None
