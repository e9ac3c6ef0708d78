"""The channel kinds this build ships, and the core's view of them (:class:`hub.ports.ChannelCatalogue`).

Adding a kind is adding its folder with a ``spec.py`` (:mod:`channels.spec`) and one line in
:data:`KINDS`. Spec modules are imported when first asked for and each kind is connected (its
sender, API client, caches built) on first use, so a command that never sends over WeChat never
loads WeChat's stack.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from channels.spec import (
    ChannelSpec,
    Connection,
    Finding,
    Resources,
    SettingsProblem,
    check_form,
    form_fields,
    sealed_purpose,
)
from hub.errors import InvalidInput

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.events import EventBus
    from hub.intake.events import MessageIngested
    from hub.intake.inbound import InboundMessage, IngestResult
    from hub.models import Channel
    from hub.ports import ChannelSender, JobRequest
    from hub.tickets.events import AutomaticReplyQueued, ReplyQueued

log = logging.getLogger(__name__)

#: Kind → the module whose ``SPEC`` describes it.
KINDS: dict[str, str] = {
    "email": "channels.email.spec",
    "wechat": "channels.wechat.spec",
    "api": "channels.api.spec",
    "webchat": "channels.webchat.spec",
    "phone": "channels.phone.spec",
    "portal": "channels.portal.spec",
}


def spec(kind: str) -> ChannelSpec:
    """The kind's spec; a kind the core knows but no folder ships yet has no settings and no sender
    (the demo keeps web-chat and phone tickets before their connectors land)."""
    module = KINDS.get(str(kind))
    if module is None:
        return ChannelSpec(kind=str(kind), title={"zh-CN": str(kind), "en": str(kind)})
    found: ChannelSpec = importlib.import_module(module).SPEC
    return found


def shipped() -> list[ChannelSpec]:
    return [spec(kind) for kind in KINDS]


def configure(
    kind_spec: ChannelSpec,
    channel_id: uuid.UUID,
    master_key: str,
    given: Mapping[str, Any],
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The config to store for ``given`` settings, or :class:`SettingsProblem`: checked against the
    kind's schema, stored by the kind, sealed settings sealed (or kept from ``previous``)."""
    form = check_form(kind_spec.form, given)
    previous = previous or {}
    stored = kind_spec.store(form, channel_id, master_key, previous)
    for setting in form_fields(kind_spec.form):
        if setting.name not in given and stored.get(setting.name) == setting.default:
            stored.pop(setting.name, None)  # left to the default, which may improve later
        if not setting.sealed:
            continue
        stored.pop(setting.name, None)
        key = f"{setting.name}_sealed"
        value = getattr(form, setting.name)
        if value is not None:
            from hub.security import seal  # the crypto stack, only when a secret is given

            stored[key] = seal(master_key, sealed_purpose(channel_id, kind_spec.kind, setting.name), value)
        elif key in previous:
            stored[key] = previous[key]
        elif setting.required:
            raise SettingsProblem(f"{setting.name}: is required")
    return stored


class Catalogue:
    """:class:`hub.ports.ChannelCatalogue` over the shipped kinds, with their connections."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self._connections: dict[str, Connection] = {}

    def configure(
        self,
        kind: str,
        channel_id: uuid.UUID,
        given: Mapping[str, Any],
        previous: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            return configure(spec(kind), channel_id, self.resources.settings.secret_key, given, previous)
        except SettingsProblem as exc:
            raise InvalidInput(detail=str(exc)) from None

    def bind(self, hub: Hub) -> None:
        """The hub the kinds' connections serve (built lazily, after it exists)."""
        import dataclasses

        self.resources = dataclasses.replace(self.resources, hub=hub)
        self._connections.clear()

    def issues_token(self, kind: str) -> bool:
        return spec(kind).issues_token

    def body_limit(self, kind: str) -> int:
        return spec(kind).body_limit

    def connection(self, kind: str) -> Connection:
        found = self._connections.get(kind)
        if found is None:
            found = self._connections[kind] = spec(kind).connect(self.resources)
        return found

    async def check(self, hub: Hub, channel: Channel) -> list[Finding]:
        """The kind's self-test of one channel (``hub doctor``)."""
        kind = str(channel.kind)
        return await spec(kind).check(self.connection(kind), hub, channel)

    def sender_for(self, channel_kind: str) -> ChannelSender | None:
        return self.connection(str(channel_kind)).sender

    async def queue_follow_ups(self, hub: Hub, ingested: Sequence[MessageIngested]) -> None:
        """Subscribed to :class:`~hub.intake.events.MessageIngested` after commit: the jobs each
        kind wants for its freshly processed messages (WeChat: media and profiles), queued together.
        Best effort, like every after-commit subscriber: the messages are committed, and a lost
        follow-up only leaves media to fetch again or a profile to refresh on the next message."""
        by_kind: dict[str, list[tuple[InboundMessage, IngestResult]]] = defaultdict(list)
        for event in ingested:
            by_kind[str(event.channel_kind)].append((event.message, event.result))
        jobs: list[JobRequest] = []
        for kind, processed in by_kind.items():
            follow_ups = self.connection(kind).follow_ups
            if follow_ups is not None:
                jobs += await follow_ups(hub, processed)
        if jobs:
            await hub.jobs.enqueue(jobs)

    async def deliver_at_once(self, hub: Hub, queued: Sequence[ReplyQueued | AutomaticReplyQueued]) -> None:
        """Subscribed to replies queued, after commit: on kinds that ask for it (a chat, whose visitor
        waits on the answer), deliver now from this process rather than when the worker polls.
        The queued job stays: it finds the row sent and skips it, or delivers it if this failed."""
        kinds = [k for k in KINDS if spec(k).deliver_at_once]
        if not kinds or not queued:
            return
        import sqlalchemy as sa

        from hub.delivery import delivery
        from hub.errors import RetryLater
        from hub.models import Channel, Outbox

        async with hub.session_factory() as session:
            rows = await session.scalars(
                sa.select(Outbox.id)
                .join(Channel, Channel.id == Outbox.channel_id)
                .where(Outbox.message_id.in_([e.message_id for e in queued]), Channel.kind.in_(kinds))
                .order_by(Outbox.created_at)
            )
            outbox_ids = list(rows)
        for outbox_id in outbox_ids:
            try:
                await delivery.deliver(hub, outbox_id)
            except RetryLater:
                pass  # a transient failure: the queued job tries again after its back-off
            except Exception:
                log.exception("delivering %s at once failed; the queued job will", outbox_id)

    def subscribe(self, bus: EventBus) -> None:
        """What the shipped kinds do when the hub's events happen."""
        from hub.intake.events import MessageIngested
        from hub.tickets.events import AutomaticReplyQueued, ReplyQueued

        bus.after_commit(MessageIngested, self.queue_follow_ups)
        bus.after_commit(ReplyQueued, self.deliver_at_once)
        bus.after_commit(AutomaticReplyQueued, self.deliver_at_once)
