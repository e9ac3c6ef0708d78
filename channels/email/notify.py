"""Staff notification e-mails (SLA warnings and breaches) from the mailbox marked ``notifications``.

Implements :class:`hub.ports.NotificationMailer`. The mailbox is looked up when a notification is
sent, so marking one (``hub channel add email ... --notifications``) needs no restart; while none
is marked, notifications stay in-app and the job just returns.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from channels.email import smtp
from channels.email.config import MailboxConfig
from hub.core import Hub
from hub.domain import ChannelKind
from hub.intake.channel_instances import list_channels

log = logging.getLogger(__name__)


class EmailNotificationMailer:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def _mailbox(self) -> tuple[MailboxConfig, str] | None:
        """The mailbox notifications leave from, with its address (a mailbox without one cannot send)."""
        for channel in await list_channels(self.hub):
            if channel.kind is ChannelKind.EMAIL and channel.is_active:
                config = MailboxConfig.of(channel.config)
                if config.notifications and config.address:
                    return config, config.address
        return None

    async def send_notification(self, *, to: str, subject: str, text: str) -> None:
        found = await self._mailbox()
        if found is None:
            log.debug("no mailbox sends notifications; %r stays in-app", subject)
            return
        config, address = found
        mail = _robot_mail(config, address, to, subject)
        mail.set_content(text, cte="7bit" if text.isascii() else "base64")
        await smtp.submit(config, mail, envelope_from="", recipients=[to])

    async def can_send(self) -> bool:
        """Whether a mailbox sends notifications (and so reports) now."""
        return await self._mailbox() is not None

    async def send_report(
        self, *, to: str, subject: str, text: str, html: str, attachment: tuple[str, bytes]
    ) -> bool:
        """A report to a member of staff (the monthly review): plain text and HTML bodies and one
        PDF attached, from the same mailbox. False when no mailbox sends notifications."""
        found = await self._mailbox()
        if found is None:
            log.info("no mailbox sends notifications; %r not mailed", subject)
            return False
        config, address = found
        mail = _robot_mail(config, address, to, subject)
        mail.set_content(text, cte="base64")
        mail.add_alternative(html, subtype="html", cte="base64")
        name, data = attachment
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
        await smtp.submit(config, mail, envelope_from="", recipients=[to])
        return True


def _robot_mail(config: MailboxConfig, address: str, to: str, subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = formataddr((config.display_name, address)) if config.display_name else address
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = make_msgid("notify", domain=config.message_domain)
    # A robot's mail: no auto-reply may answer it (RFC 3834), bounces go nowhere.
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"
    return mail
