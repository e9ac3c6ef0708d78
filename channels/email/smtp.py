"""Handing a built mail to the mailbox's SMTP server, with its errors sorted for the outbox.

4xx answers and connection trouble are transient (the outbox retries with backoff); 5xx answers
are permanent and the server's own words become the reason shown on the message.

TLS problems are permanent too: a certificate that does not verify, or a handshake that fails,
will fail the same way on every retry until someone changes the configuration (trust the
server's CA with ``tls_ca_file``, fix ``smtp_tls``/``smtp_port``), so the message shows why at
once instead of retrying in silence; ``hub outbox retry --failed`` sends it after the fix.
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
    """Send ``mail``; the server's final answer, or :class:`DeliveryError`.

    ``tls_context`` replaces the mailbox's own (:meth:`MailboxConfig.tls_context`).
    """
    if not config.smtp_host:
        raise DeliveryError(
            "the mailbox has no SMTP server configured (smtp_host)", transient=False, code="delivery_no_smtp"
        )
    password = config.password()
    if config.smtp_password_env and password is None:
        reason = f"the environment variable {config.smtp_password_env} (smtp_password_env) is not set"
        raise DeliveryError(reason, transient=False, code="delivery_misconfigured", params={"detail": reason})
    if tls_context is None and config.smtp_tls != "none":
        try:
            tls_context = config.tls_context()
        except (OSError, ssl.SSLError) as exc:
            reason = f"cannot read the CA file {config.tls_ca_file} (tls_ca_file): {exc}"
            raise DeliveryError(
                reason, transient=False, code="delivery_misconfigured", params={"detail": reason}
            ) from None
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
            f"the SMTP server refused the recipient: {detail}",
            transient=all(400 <= c < 500 for c in codes),
            code="delivery_smtp_refused",
            params={"detail": detail},
        ) from None
    except aiosmtplib.SMTPResponseException as exc:
        transient = not 500 <= exc.code < 600
        raise DeliveryError(
            f"the SMTP server answered {exc.code} {exc.message}",
            transient=transient,
            code="delivery_smtp_refused",
            params={"detail": f"{exc.code} {exc.message}"},
        ) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        tls_failure = _tls_failure(exc)
        if tls_failure is not None:
            reason = _tls_reason(config, tls_failure)
            raise DeliveryError(
                reason, transient=False, code="delivery_misconfigured", params={"detail": reason}
            ) from None
        reason = f"cannot reach the SMTP server {config.smtp_host}:{config.port}: {exc}"
        raise DeliveryError(
            reason,
            transient=True,
            code="delivery_server_unreachable",
            params={"server": f"{config.smtp_host}:{config.port}", "detail": str(exc)},
        ) from None
    return answer


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind ``exc`` (aiosmtplib raises it bare for STARTTLS and wraps it in
    SMTPConnectError for implicit TLS) that no retry will cure, or None.

    Only a certificate that does not verify and a protocol error (wrong version, handshake
    alert) count; the connection ending mid-handshake (``SSLEOFError``, ``SSLZeroReturnError``,
    ``SSLSyscallError``) is the network's doing and is retried like any lost connection.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError) or type(current) is ssl.SSLError:
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _tls_reason(config: MailboxConfig, error: ssl.SSLError) -> str:
    where = f"{config.smtp_host}:{config.port}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the certificate of the SMTP server {where} is not trusted ({error.verify_message}); "
            "if the server uses a private CA, name its certificate in the mailbox's tls_ca_file"
        )
    reason = error.reason or str(error)
    return f"TLS with the SMTP server {where} failed ({reason}); check smtp_tls and smtp_port"
