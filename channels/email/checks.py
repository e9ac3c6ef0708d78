"""A mailbox's self-test for ``hub doctor``: log in to SMTP and IMAP as the hub would, send nothing.

A mailbox that cannot log in fails silently otherwise until the first reply bounces back to the
agent as "failed"; the IMAP watcher shows its error only on the channel list.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Any

from channels.email.config import MailboxConfig
from channels.spec import Finding

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.models import Channel

TIMEOUT_SECONDS = 10.0


async def check_mailbox(connection: Any, hub: Hub, channel: Channel) -> list[Finding]:
    config = MailboxConfig.of(channel.config)
    return [await _smtp(config), *([await asyncio.to_thread(_imap, config)] if config.watched else [])]


async def _smtp(config: MailboxConfig) -> Finding:
    import aiosmtplib

    if not config.smtp_host:
        return Finding("warn", "SMTP", "no SMTP server configured (smtp_host): replies cannot be sent")
    password = config.password()
    if config.smtp_password_env and password is None:
        return Finding("fail", "SMTP", f"the environment variable {config.smtp_password_env} is not set")
    where = f"{config.smtp_host}:{config.port}"
    try:
        context = config.tls_context() if config.smtp_tls != "none" else None
        client = aiosmtplib.SMTP(
            hostname=config.smtp_host,
            port=config.port,
            use_tls=config.smtp_tls == "tls",
            start_tls=config.smtp_tls == "starttls",
            tls_context=context,
            timeout=TIMEOUT_SECONDS,
        )
        async with client:
            if password is not None:
                await client.login(config.smtp_user or config.address, password)
    except aiosmtplib.SMTPAuthenticationError as exc:
        return Finding("fail", "SMTP", f"{where} refused the login: {exc.code} {exc.message}")
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as exc:
        return Finding("fail", "SMTP", f"cannot use {where}: {exc}")
    login = f" as {config.smtp_user or config.address}" if password is not None else " (no login)"
    return Finding("ok", "SMTP", f"{where} accepted the connection{login}")


def _imap(config: MailboxConfig) -> Finding:
    from channels.email.imap import ImapProblem, ImapSession

    where = f"{config.imap_host}:{config.imap_port_number}"
    try:
        session = ImapSession.open(config, config.imap_password(), timeout=TIMEOUT_SECONDS)
    except ImapProblem as exc:
        return Finding("fail", "IMAP", f"{where}: {exc}")
    except Exception as exc:  # imapclient raises its own errors, socket and TLS ones: all mean "cannot"
        return Finding("fail", "IMAP", f"cannot use {where}: {exc}")
    session.close()
    return Finding("ok", "IMAP", f"{where} logged in and opened {config.imap_folder}")
