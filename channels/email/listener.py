"""Direct delivery: an SMTP or LMTP listener (aiosmtpd) in front of :class:`EmailIngest`.

An MTA (Postfix ``lmtp:`` transport, a relay) hands mail straight to the hub instead of leaving
it in a mailbox to be fetched. The reply to DATA is the promise: ``250`` only once the mail is
stored (the raw bytes committed by the same ingest path as IMAP and ``hub ingest email``), and
``451 4.3.0`` when storing failed, so the sender keeps the mail queued and retries. Recipients
are checked at RCPT time against the mailbox channels' addresses and their ``+token`` variants
(``support+t123@…``, our reply addresses); anyone else gets ``550 5.1.1``.

Given a certificate and key, the listener offers STARTTLS (RFC 3207), so mail from an MTA on
another host need not cross the network in clear; ``require_tls`` refuses every command but
EHLO, STARTTLS, NOOP and QUIT before the upgrade (``530``), for a listener reachable from
outside. Without them it speaks plain SMTP/LMTP, as behind a local MTA on loopback.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
import uuid

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from redis.asyncio import Redis

from channels.email.ingest import EmailIngest, RedisClaims
from hub.core import Hub

log = logging.getLogger(__name__)

#: How long the list of our addresses is trusted before it is read again (new mailboxes).
REFRESH_SECONDS = 10.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
STORED = "250 2.0.0 Stored"
NOT_STORED = "451 4.3.0 Could not store the mail; please try again later"


def recipient_channel(ingest: EmailIngest, address: str) -> uuid.UUID | None:
    """The mailbox channel an envelope recipient reaches, also through ``local+anything@domain``."""
    wanted = address.strip().strip("<>").lower()
    local, at, domain = wanted.rpartition("@")
    if not at:
        return None
    candidates = [wanted]
    if "+" in local:
        candidates.append(f"{local.split('+', 1)[0]}@{domain}")
    for channel_id, config in ingest.mailboxes.configs.items():
        if config.address in candidates:
            return channel_id
    return None


class DeliveryHandler:
    """aiosmtpd handler: RCPT checks the recipient, DATA stores the mail before answering."""

    def __init__(self, hub: Hub, redis: Redis | None = None) -> None:
        self.hub = hub
        self.claims = RedisClaims(redis) if redis is not None else None
        self._ingest: EmailIngest | None = None
        self._loaded_at = 0.0

    async def ingest(self) -> EmailIngest:
        if self._ingest is None or time.monotonic() - self._loaded_at > REFRESH_SECONDS:
            self._ingest = await EmailIngest.create(self.hub, self.claims)
            self._loaded_at = time.monotonic()
        return self._ingest

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            ingest = await self.ingest()
        except Exception:
            log.exception("cannot read the mailbox channels")
            return "451 4.3.0 Temporary failure; please try again later"
        if recipient_channel(ingest, address) is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = bytes(envelope.original_content or b"")
        status = await self._store(raw, envelope.rcpt_tos)
        if isinstance(server, LMTP):  # LMTP answers once per accepted recipient
            return "\r\n".join([status] * max(len(envelope.rcpt_tos), 1))
        return status

    async def _store(self, raw: bytes, recipients: list[str]) -> str:
        try:
            ingest = await self.ingest()
            targets = list(dict.fromkeys(recipient_channel(ingest, r) for r in recipients))
            for channel_id in targets:
                if channel_id is None:
                    continue
                parsed = await asyncio.to_thread(ingest.parse, channel_id, raw)
                result = await ingest.ingest(channel_id, raw, parsed)
                log.info("mail for %s: %s", channel_id, result.outcome.value)
        except Exception:
            log.exception("could not store a mail for %s; answered 451", ", ".join(recipients))
            return NOT_STORED
        return STORED


async def start_listener(
    hub: Hub,
    redis: Redis | None,
    *,
    host: str = "127.0.0.1",
    port: int = 2525,
    lmtp: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    hostname: str | None = None,
    tls_context: ssl.SSLContext | None = None,
    require_tls: bool = False,
) -> asyncio.Server:
    """Listen on ``host:port`` (0: any free port) on the running loop; close the server to stop.

    ``tls_context`` (the server's certificate, see :func:`server_tls_context`) offers STARTTLS.
    """
    if require_tls and tls_context is None:
        raise ValueError("require_tls needs a certificate (tls_context)")
    handler = DeliveryHandler(hub, redis)
    protocol = LMTP if lmtp else SMTP
    hostname = hostname or socket.gethostname()  # once, not a DNS lookup per connection

    def connection() -> SMTP:
        return protocol(
            handler,
            hostname=hostname,
            data_size_limit=max_bytes,
            enable_SMTPUTF8=True,
            ident="hub",
            tls_context=tls_context,
            require_starttls=require_tls,
        )

    return await asyncio.get_running_loop().create_server(connection, host, port)


def server_tls_context(certificate: str, key: str | None = None) -> ssl.SSLContext:
    """The listener's side of STARTTLS from PEM files (the key may sit in the certificate file).

    Read once at start, so a missing or mismatched file stops the command with its reason instead
    of failing every client's handshake later.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    return context
