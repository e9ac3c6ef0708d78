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
