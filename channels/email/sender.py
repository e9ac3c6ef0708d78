"""Replies and acknowledgements leave as e-mail that threads back to its ticket.

Every mail carries our Message-ID (``<hub.<reply token>.<message id>@<domain>>``, also what a
bounce names), In-Reply-To/References of the client's mails, ``Reply-To: support+<token>@…`` and
``[#number]`` in the subject, so a reply finds its ticket by any of four keys. Automatic mail
(acknowledgements) adds ``Auto-Submitted: auto-replied`` and goes with a null envelope sender
(``MAIL FROM:<>``), so well-behaved robots neither answer it nor bounce it back to us.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from channels.email import ids, smtp
from channels.email.config import MailboxConfig
from hub.delivery.outbound import DeliveryResult, OutboundMessage
from hub.errors import DeliveryError
from hub.ports import AttachmentStore

_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|答复|回复|回覆|转发|轉寄)\s*(\[\d+\])?\s*[:：]\s*)+", re.I
)
_NUMBER = re.compile(r"\s*\[#\d+\]")
#: Enough of the thread for every client to place the reply; headers stay short.
MAX_REFERENCES = 20


def reply_subject(subject: str, number: int) -> str:
    """``Re: <subject> [#number]``: one ``Re:``, one token, whatever the thread piled up."""
    core = _NUMBER.sub("", _PREFIX.sub("", subject or "")).strip()
    return f"Re: {core} [#{number}]" if core else f"[#{number}]"


class SmtpSender:
    """:class:`hub.ports.ChannelSender` for mailbox channels."""

    #: A second SMTP submission is a second mail in the client's inbox.
    resend_safe = False

    def __init__(self, *, storage: AttachmentStore) -> None:
        self.storage = storage

    def build(self, message: OutboundMessage) -> tuple[EmailMessage, str, list[str]]:
        """The mail, its envelope sender and its recipients."""
        config = MailboxConfig.of(message.channel_config)
        if not config.address:
            raise DeliveryError(
                "the mailbox channel has no address configured", transient=False, code="delivery_no_address"
            )
        if not message.recipients:
            raise DeliveryError(
                "the contact has no e-mail address", transient=False, code="delivery_no_recipient"
            )
        recipient = message.recipients[0]
        mail = EmailMessage()
        name = config.display_name or message.author_name or None
        mail["From"] = formataddr((name, config.address)) if name else config.address
        mail["To"] = recipient
        reply_to = ids.reply_address(config.address, message.reply_token)
        mail["Reply-To"] = formataddr((name, reply_to)) if name else reply_to
        mail["Subject"] = (
            message.subject if message.is_auto else reply_subject(message.subject, message.ticket_number)
        )
        mail["Date"] = format_datetime(datetime.now(UTC))
        message_id = ids.ours(message.reply_token, message.message_id.hex, config.message_domain)
        mail["Message-ID"] = message_id
        references = list(message.references)[-MAX_REFERENCES:]
        if references:
            mail["In-Reply-To"] = references[-1]
            mail["References"] = " ".join(references)
        if message.is_auto:
            mail["Auto-Submitted"] = "auto-replied"
            mail["X-Auto-Response-Suppress"] = "All"
            mail["Precedence"] = "auto_reply"
        text = message.text or ""
        mail.set_content(text, cte="7bit" if text.isascii() else "base64")
        if message.html:
            mail.add_alternative(
                message.html, subtype="html", cte="7bit" if message.html.isascii() else "base64"
            )
        for item in message.attachments:
            maintype, _, subtype = item.content_type.partition("/")
            mail.add_attachment(
                self.storage.get(item.sha256),
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=item.filename,
            )
        envelope_from = "" if message.is_auto else config.address
        return mail, envelope_from, [recipient]

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        mail, envelope_from, recipients = self.build(message)
        config = MailboxConfig.of(message.channel_config)
        await smtp.submit(config, mail, envelope_from=envelope_from, recipients=recipients)
        return DeliveryResult(external_id=str(mail["Message-ID"]))
