"""A mailbox channel's settings, read from ``Channel.config`` (checked by :mod:`channels.email.spec`).

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
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec

from channels.spec import ABSOLUTE_PATH, EMAIL_ADDRESS, ENV_NAME, setting

DEFAULT_ACK_SUBJECT = "[#{number}] 我们已收到您的邮件 / We received your message: {subject}"
DEFAULT_ACK_TEXT = (
    "您好，\n\n我们已收到您的邮件，工单号 #{number}。客服人员会尽快回复您；回复本邮件即可补充信息。\n\n"
    "Hello,\n\nwe received your message and opened ticket #{number}. An agent will answer soon; "
    "reply to this mail to add anything.\n"
)
TlsMode = Literal["starttls", "tls", "none"]


class MailboxConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A mailbox's settings: the e-mail kind's schema (:mod:`channels.email.spec`), checked on every
    write, and what the sender, the watcher and the importer read."""

    address: Annotated[
        str, setting("The mailbox address, e.g. support@example.com.", "邮箱地址", pattern=EMAIL_ADDRESS)
    ]
    display_name: Annotated[str, setting("The name replies are sent under.", "发件人名称")] | None = None
    domain: (
        Annotated[str, setting("Domain of our Message-IDs (default: the address's).", "Message-ID 域名")]
        | None
    ) = None
    smtp_host: Annotated[str, setting("SMTP server for replies.", "SMTP 服务器")] | None = None
    smtp_port: Annotated[int, setting("SMTP port.", "SMTP 端口", ge=1, le=65535)] | None = None
    smtp_tls: Annotated[TlsMode, setting("SMTP TLS.", "SMTP 加密方式")] = "starttls"
    smtp_user: Annotated[str, setting("SMTP login.", "SMTP 用户名")] | None = None
    smtp_password_env: (
        Annotated[
            str,
            setting(
                "NAME of the environment variable holding the SMTP password (never the password).",
                "保存 SMTP 密码的环境变量名（不是密码本身）",
                pattern=ENV_NAME,
            ),
        ]
        | None
    ) = None
    auto_ack: Annotated[bool, setting("Acknowledge each new ticket automatically.", "自动回执新工单")] = False
    ack_subject: Annotated[
        str, setting("Subject of the acknowledgement ({number}, {subject}).", "回执主题")
    ] = DEFAULT_ACK_SUBJECT
    ack_text: Annotated[str, setting("Text of the acknowledgement ({number}, {subject}).", "回执正文")] = (
        DEFAULT_ACK_TEXT
    )
    notifications: Annotated[bool, setting("Send staff notification mails.", "发送员工通知邮件")] = False
    imap_host: (
        Annotated[str, setting("IMAP server to watch (the worker fetches new mail).", "IMAP 服务器")] | None
    ) = None
    imap_port: Annotated[int, setting("IMAP port.", "IMAP 端口", ge=1, le=65535)] | None = None
    imap_tls: Annotated[TlsMode, setting("IMAP TLS.", "IMAP 加密方式")] = "tls"
    imap_user: Annotated[str, setting("IMAP login (default: the address).", "IMAP 用户名")] | None = None
    imap_password_env: (
        Annotated[
            str,
            setting(
                "NAME of the environment variable holding the IMAP password (never the password).",
                "保存 IMAP 密码的环境变量名（不是密码本身）",
                pattern=ENV_NAME,
            ),
        ]
        | None
    ) = None
    imap_folder: Annotated[str, setting("Folder to watch.", "监视的文件夹", min_length=1)] = "INBOX"
    imap_poll_seconds: Annotated[
        float,
        setting("Poll interval without IDLE, and re-check interval with it.", "轮询间隔（秒）", gt=0),
    ] = 60.0
    imap_idle: Annotated[bool, setting("Use IMAP IDLE when offered.", "使用 IMAP IDLE")] = True
    imap_max_message_bytes: Annotated[
        int, setting("Larger mails are fetched as headers only.", "邮件大小上限（字节）", gt=0)
    ] = 64 * 1024 * 1024
    tls_ca_file: (
        Annotated[
            str,
            setting(
                "PEM file of a private CA to trust for the SMTP and IMAP servers (besides the system's).",
                "额外信任的私有 CA 证书文件（PEM，绝对路径）",
                pattern=ABSOLUTE_PATH,
            ),
        ]
        | None
    ) = None

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> MailboxConfig:
        """A stored config as settings, leniently: keys it does not know are ignored (it was checked
        when written)."""
        known = {k: v for k, v in config.items() if k in cls.__struct_fields__ and v is not None}
        known["address"] = str(known.get("address") or "").strip().lower()
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
