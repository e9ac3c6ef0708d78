"""Handing a built mail to the mailbox's SMTP server, with its errors sorted for the outbox.

4xx answers and connection trouble are transient (the outbox retries with backoff); 5xx answers
are permanent and the server's own words become the reason shown on the message.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import aiosmtplib

from channels.email.config import MailboxConfig
from hub.errors import DeliveryError

TIMEOUT_SECONDS = 30.0


async def submit(
    config: MailboxConfig,
    mail: EmailMessage,
    *,
    envelope_from: str,
    recipients: list[str],
    tls_context: ssl.SSLContext | None = None,
) -> str:
    """Send ``mail``; the server's final answer, or :class:`DeliveryError`."""
    if not config.smtp_host:
        raise DeliveryError("the mailbox has no SMTP server configured (smtp_host)", transient=False)
    password = config.password()
    if config.smtp_password_env and password is None:
        raise DeliveryError(
            f"the environment variable {config.smtp_password_env} (smtp_password_env) is not set",
            transient=False,
        )
    try:
        _, answer = await aiosmtplib.send(
            mail,
            sender=envelope_from,
            recipients=recipients,
            hostname=config.smtp_host,
            port=config.port,
            username=config.smtp_user if password is not None else None,
            password=password,
            use_tls=config.smtp_tls == "tls",
            start_tls=config.smtp_tls == "starttls",
            tls_context=tls_context,
            timeout=TIMEOUT_SECONDS,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        raise DeliveryError(
            f"the SMTP server refused the recipient: {detail}", transient=all(400 <= c < 500 for c in codes)
        ) from None
    except aiosmtplib.SMTPResponseException as exc:
        transient = not 500 <= exc.code < 600
        raise DeliveryError(
            f"the SMTP server answered {exc.code} {exc.message}", transient=transient
        ) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise DeliveryError(
            f"cannot reach the SMTP server {config.smtp_host}:{config.port}: {exc}", transient=True
        ) from None
    return answer
