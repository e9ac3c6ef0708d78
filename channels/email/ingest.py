"""One mail into the hub: parse, then ingest it as a client's message, apply it as a bounce, or
leave it (our own mail); acknowledge new tickets when the mailbox asks for it.

Used by every way mail comes in (``hub ingest email``, the IMAP watchers and the SMTP/LMTP
listener), so they all thread, dedupe and answer alike.

Copies of one mail sent to several of our mailboxes (To one, Cc another) become one message:
the idempotency key is the Message-ID alone, never the mailbox. Since the hub's key is
(channel, external id), each copy is routed to the mailbox channel that already holds that
Message-ID (:func:`hub.intake.ingest.channel_holding`); for copies arriving at the same time,
a short-lived claim in Redis (``SET NX``) picks one channel for all of them.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import msgspec
from redis.asyncio import Redis

from channels.email import ids
from channels.email.config import DEFAULT_ACK_SUBJECT, DEFAULT_ACK_TEXT, MailboxConfig
from channels.email.parse import Mailbox, ParsedMail, Unparsable, parse
from hub.core import Hub
from hub.delivery.reports import failed_after_sending
from hub.domain import ChannelKind
from hub.errors import HubError, IngestFailed
from hub.intake import ingest
from hub.intake.channel_instances import list_channels
from hub.intake.inbound import InboundMessage, IngestResult
from hub.intake.ingest import channel_holding, keep_unreadable
from hub.tickets.automatic_replies import send_automatic_reply

if TYPE_CHECKING:
    from hub.intake.ingest import StoredMany

log = logging.getLogger(__name__)

ACK_ONCE_PER = timedelta(hours=1)


class Outcome(StrEnum):
    CREATED = "created"
    THREADED = "threaded"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    REJECTED = "rejected"


@dataclass(frozen=True)
class MailResult:
    outcome: Outcome
    reason: str | None = None
    ticket_id: uuid.UUID | None = None
    acknowledged: bool = False


class Claims(Protocol):
    """Agrees, across processes, on one channel per Message-ID for copies arriving together."""

    async def claim(self, message_id: str, channel_id: uuid.UUID) -> uuid.UUID: ...


class RedisClaims:
    """:class:`Claims` in Redis; the claim outlives any realistic gap between two copies."""

    def __init__(self, redis: Redis, ttl_seconds: int = 7 * 24 * 3600) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    async def claim(self, message_id: str, channel_id: uuid.UUID) -> uuid.UUID:
        key = "hub:email:msgid:" + hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()
        won = await self.redis.set(key, str(channel_id), nx=True, ex=self.ttl)
        if won:
            return channel_id
        holder = await self.redis.get(key)
        return (
            uuid.UUID(holder.decode() if isinstance(holder, bytes) else str(holder)) if holder else channel_id
        )


@dataclass(frozen=True)
class Mailboxes:
    """The hub's mailbox channels, loaded once per run (they change rarely)."""

    configs: dict[uuid.UUID, MailboxConfig]
    addresses: frozenset[str]
    domains: frozenset[str]

    @classmethod
    async def load(cls, hub: Hub) -> Mailboxes:
        configs = {
            c.id: MailboxConfig.of(c.config) for c in await list_channels(hub) if c.kind is ChannelKind.EMAIL
        }
        addresses = frozenset(c.address for c in configs.values() if c.address)
        domains = frozenset(c.message_domain for c in configs.values())
        return cls(configs=configs, addresses=addresses, domains=domains)

    def mailbox(self, channel_id: uuid.UUID, max_attachment_bytes: int) -> Mailbox:
        return Mailbox(
            channel_id=channel_id,
            our_addresses=self.addresses,
            our_domains=self.domains,
            max_attachment_bytes=max_attachment_bytes,
        )


@dataclass(slots=True)
class StoredMails:
    """A batch of mails between :meth:`EmailIngest.store_batch` and :meth:`EmailIngest.finish_batch`."""

    channel_id: uuid.UUID
    #: Per mail: its result when already settled (rejected, ignored, bounce), else ``None``.
    results: list[MailResult | None]
    #: The client messages: (mail index, raw, parsed, message as addressed).
    batch: list[tuple[int, bytes, ParsedMail, InboundMessage]]
    stored: StoredMany | None


class EmailIngest:
    def __init__(self, hub: Hub, mailboxes: Mailboxes, claims: Claims | None = None) -> None:
        self.hub = hub
        self.mailboxes = mailboxes
        self.claims = claims

    @classmethod
    async def create(cls, hub: Hub, claims: Claims | None = None) -> EmailIngest:
        return cls(hub, await Mailboxes.load(hub), claims)

    def mailbox(self, channel_id: uuid.UUID) -> Mailbox:
        return self.mailboxes.mailbox(channel_id, self.hub.settings.attachment_max_bytes)

    def parse(self, channel_id: uuid.UUID, raw: bytes) -> ParsedMail | Unparsable:
        """Parsing alone (pure, CPU-bound): callers may run it in another thread or process."""
        try:
            return parse(raw, self.mailbox(channel_id))
        except Unparsable as exc:
            return exc

    async def ingest(
        self, channel_id: uuid.UUID, raw: bytes, parsed: ParsedMail | Unparsable | None = None
    ) -> MailResult:
        """One mail, never raising for the mail's sake: the outcome says what became of it."""
        if channel_id not in self.mailboxes.configs:
            raise HubError("not_found", what="mailbox channel")
        if parsed is None:
            parsed = self.parse(channel_id, raw)
        if isinstance(parsed, Unparsable):
            return await self._reject(channel_id, raw, parsed.reason)
        if parsed.kind == "own":
            return MailResult(Outcome.IGNORED, parsed.reason)
        if parsed.kind == "bounce":
            return await self._bounce(parsed)
        assert parsed.message is not None
        return await self._message(channel_id, raw, parsed)

    async def keep_rejected(self, channel_id: uuid.UUID, raw: bytes, reason: str) -> MailResult:
        """Store a mail whose ingest keeps failing as rejected, so a reader can move past it.

        For fetchers (IMAP) that must not retry one poisonous mail forever; the bytes are kept
        for ``hub inbound rejected``. Raises like any store when the database is unreachable.
        """
        return await self._reject(channel_id, raw, reason)

    async def _reject(self, channel_id: uuid.UUID, raw: bytes, reason: str) -> MailResult:
        key = f"<unreadable.{hashlib.sha256(raw).hexdigest()[:40]}@hub>"
        await keep_unreadable(self.hub, channel_id, external_id=key, payload=raw, reason=reason)
        return MailResult(Outcome.REJECTED, reason)

    async def _bounce(self, parsed: ParsedMail) -> MailResult:
        bounce = parsed.bounce
        assert bounce is not None
        if not bounce.failed:
            return MailResult(Outcome.IGNORED, f"delivery report ({bounce.action}): {bounce.reason}")
        report = {
            "recipients": list(bounce.recipients),
            "status": bounce.status,
            "reason": bounce.reason,
            "report_id": parsed.message_id,
        }
        ours = [i for i in bounce.original_ids if ids.parse_ours(i, self.mailboxes.domains)]
        failed = await failed_after_sending(
            self.hub, ours or list(bounce.original_ids), bounce.reason, report=report
        )
        if failed is None:
            return MailResult(Outcome.IGNORED, f"bounce of a mail we do not know: {bounce.reason}")
        return MailResult(Outcome.IGNORED, f"bounce: message {failed} marked failed ({bounce.reason})")

    async def _route(self, message_id: str, channel_id: uuid.UUID) -> uuid.UUID:
        others = list(self.mailboxes.configs)
        if len(others) == 1:
            return channel_id
        holder = await channel_holding(self.hub, message_id, others)
        if holder is not None:
            return holder
        if self.claims is not None:
            return await self.claims.claim(message_id, channel_id)
        return channel_id

    async def ingest_batch(
        self, channel_id: uuid.UUID, mails: Sequence[tuple[bytes, ParsedMail | Unparsable | None]]
    ) -> list[MailResult]:
        """:meth:`ingest` for many mails in order, the client messages among them in one batch
        (:func:`hub.intake.ingest.ingest_many`): the same outcomes, a fraction of the database work."""
        return await self.finish_batch(await self.store_batch(channel_id, mails))

    async def store_batch(
        self, channel_id: uuid.UUID, mails: Sequence[tuple[bytes, ParsedMail | Unparsable | None]]
    ) -> StoredMails:
        """The first half of :meth:`ingest_batch`: every mail settled but the client messages, which
        are stored raw (:func:`hub.intake.ingest.store_many`) and wait for :meth:`finish_batch`. An
        importer stores the next batch while finishing this one; batches finish in order."""
        if channel_id not in self.mailboxes.configs:
            raise HubError("not_found", what="mailbox channel")
        results: list[MailResult | None] = [None] * len(mails)
        batch: list[tuple[int, bytes, ParsedMail, InboundMessage]] = []
        for index, (raw, parsed) in enumerate(mails):
            if parsed is None:
                parsed = self.parse(channel_id, raw)
            if isinstance(parsed, Unparsable):
                results[index] = await self._reject(channel_id, raw, parsed.reason)
            elif parsed.kind == "own":
                results[index] = MailResult(Outcome.IGNORED, parsed.reason)
            elif parsed.kind == "bounce":
                results[index] = await self._bounce(parsed)
            else:
                batch.append((index, raw, parsed, await self._addressed(channel_id, parsed)))
        stored = (
            await ingest.store_many(self.hub, [(message, raw) for _, raw, _, message in batch])
            if batch
            else None
        )
        return StoredMails(channel_id, results, batch, stored)

    async def finish_batch(self, pending: StoredMails) -> list[MailResult]:
        """The second half of :meth:`ingest_batch`: process the stored client messages, settle them."""
        results = pending.results
        if pending.stored is not None:
            outcomes = await ingest.process_many(self.hub, pending.stored)
            for (index, raw, parsed, message), outcome in zip(pending.batch, outcomes, strict=True):
                results[index] = await self._settle(
                    pending.channel_id, raw, parsed, message.channel_id, outcome
                )
        return [r for r in results if r is not None]

    async def _addressed(self, channel_id: uuid.UUID, parsed: ParsedMail) -> InboundMessage:
        """The mail's message, addressed to the mailbox channel that holds (or claims) its Message-ID."""
        message = parsed.message
        assert message is not None
        target = await self._route(message.external_id, channel_id)
        if target != channel_id:
            message = msgspec.structs.replace(message, channel_id=target)
        return message

    async def _message(self, channel_id: uuid.UUID, raw: bytes, parsed: ParsedMail) -> MailResult:
        message = await self._addressed(channel_id, parsed)
        try:
            result: IngestResult | HubError = await ingest.ingest(self.hub, message, payload=raw)
        except HubError as exc:
            result = exc
        return await self._settle(channel_id, raw, parsed, message.channel_id, result)

    async def _settle(
        self,
        channel_id: uuid.UUID,
        raw: bytes,
        parsed: ParsedMail,
        target: uuid.UUID,
        result: IngestResult | HubError,
    ) -> MailResult:
        if isinstance(
            result, IngestFailed
        ):  # stored raw by the hub, marked failed, retried by `hub inbound retry`
            return MailResult(Outcome.REJECTED, str(result.params.get("error") or result))
        if isinstance(
            result, HubError
        ):  # refused before storing (empty message, ...): keep the bytes ourselves
            return await self._reject(channel_id, raw, str(result))
        if result.duplicate:
            return MailResult(Outcome.DUPLICATE, ticket_id=result.ticket_id)
        acknowledged = False
        if result.created_ticket and parsed.may_acknowledge and result.ticket_id is not None:
            acknowledged = await self._acknowledge(target, result.ticket_id)
        outcome = Outcome.CREATED if result.created_ticket else Outcome.THREADED
        return MailResult(outcome, ticket_id=result.ticket_id, acknowledged=acknowledged)

    async def _acknowledge(self, channel_id: uuid.UUID, ticket_id: uuid.UUID) -> bool:
        config = self.mailboxes.configs[channel_id]
        if not config.auto_ack:
            return False
        # The mailbox's own text wins; left at the default, the playbook library's acknowledgement
        # (playbooks/library/acknowledgement.yaml, or the company's own) is sent.
        custom = config.ack_text != DEFAULT_ACK_TEXT or config.ack_subject != DEFAULT_ACK_SUBJECT
        sent = await send_automatic_reply(
            self.hub,
            ticket_id,
            text=config.ack_text if custom else None,
            subject=config.ack_subject if custom else None,
            kind="acknowledgement",
            once_per=ACK_ONCE_PER,
        )
        return sent is not None
