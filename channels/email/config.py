"""A mailbox channel's settings, read from ``Channel.config`` (validated by hub.services.channel_instances).

Keys: ``address`` (the mailbox, e.g. support@example.com), ``display_name``, ``domain`` (of our
Message-IDs; default: the address's), ``smtp_host``, ``smtp_port``, ``smtp_tls``
(``starttls`` | ``tls`` | ``none``), ``smtp_user``, ``smtp_password_env`` (the *name* of the
environment variable holding the password; secrets never live in the database), ``auto_ack``
(acknowledge new tickets), ``ack_subject``, ``ack_text`` (``{number}`` and ``{subject}`` are
filled in), ``notifications`` (this mailbox sends staff notification e-mails).

TLS trust: certificates of the SMTP and IMAP servers are always verified (chain and host name),
against the system's CA store (or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set, process-wide).
``tls_ca_file`` names a PEM file of further CA certificates trusted for this mailbox's servers:
the way to use a server whose certificate comes from a company's own CA, without turning
verification off (there is deliberately no setting for that).

Watching the mailbox over IMAP (``hub worker``): ``imap_host``, ``imap_port``, ``imap_tls``
(``tls`` | ``starttls`` | ``none``), ``imap_user`` (default: the address), ``imap_password_env``,
``imap_folder`` (default INBOX), ``imap_poll_seconds`` (how often to look when the server has no
IDLE, and the safety re-check while idling), ``imap_idle`` (false forces polling),
``imap_max_message_bytes`` (larger mails are fetched as headers only, with the size noted).
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from typing import Any

DEFAULT_ACK_SUBJECT = "[#{number}] 我们已收到您的邮件 / We received your message: {subject}"
DEFAULT_ACK_TEXT = (
    "您好，\n\n我们已收到您的邮件，工单号 #{number}。客服人员会尽快回复您；回复本邮件即可补充信息。\n\n"
    "Hello,\n\nwe received your message and opened ticket #{number}. An agent will answer soon; "
    "reply to this mail to add anything.\n"
)
TLS_MODES = ("starttls", "tls", "none")


@dataclass(frozen=True)
class MailboxConfig:
    address: str | None = None
    display_name: str | None = None
    domain: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_tls: str = "starttls"
    smtp_user: str | None = None
    smtp_password_env: str | None = None
    auto_ack: bool = False
    ack_subject: str = DEFAULT_ACK_SUBJECT
    ack_text: str = DEFAULT_ACK_TEXT
    notifications: bool = False
    imap_host: str | None = None
    imap_port: int | None = None
    imap_tls: str = "tls"
    imap_user: str | None = None
    imap_password_env: str | None = None
    imap_folder: str = "INBOX"
    imap_poll_seconds: float = 60.0
    imap_idle: bool = True
    imap_max_message_bytes: int = 64 * 1024 * 1024
    tls_ca_file: str | None = None

    @classmethod
    def of(cls, config: dict[str, Any]) -> MailboxConfig:
        known = {k: v for k, v in config.items() if k in cls.__dataclass_fields__ and v is not None}
        if known.get("address"):
            known["address"] = str(known["address"]).strip().lower()
        return cls(**known)

    @property
    def message_domain(self) -> str:
        if self.domain:
            return self.domain.lower()
        if self.address and "@" in self.address:
            return self.address.rsplit("@", 1)[1]
        return "hub.invalid"

    @property
    def port(self) -> int:
        if self.smtp_port:
            return int(self.smtp_port)
        return {"tls": 465, "starttls": 587}.get(self.smtp_tls, 25)

    def password(self, env: dict[str, str] | None = None) -> str | None:
        """The SMTP password from the named environment variable, read at send time."""
        if not self.smtp_password_env:
            return None
        return (os.environ if env is None else env).get(self.smtp_password_env)

    @property
    def watched(self) -> bool:
        """The worker watches this mailbox over IMAP."""
        return bool(self.imap_host)

    @property
    def imap_port_number(self) -> int:
        if self.imap_port:
            return int(self.imap_port)
        return 993 if self.imap_tls == "tls" else 143

    @property
    def imap_login(self) -> str | None:
        return self.imap_user or self.address

    def imap_password(self, env: dict[str, str] | None = None) -> str | None:
        """The IMAP password from the named environment variable, read at every (re)connect."""
        if not self.imap_password_env:
            return None
        return (os.environ if env is None else env).get(self.imap_password_env)

    def tls_context(self) -> ssl.SSLContext:
        """A verifying client context: the system's CAs plus ``tls_ca_file``'s, if named.

        Raises :class:`OSError` (or :class:`ssl.SSLError`) when that file cannot be read: a
        configuration mistake for the caller to report, never a reason to skip verification.
        """
        context = ssl.create_default_context()
        if self.tls_ca_file:
            context.load_verify_locations(cafile=self.tls_ca_file)
        return context
