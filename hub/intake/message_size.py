"""How much text a message body holds, and where the rest goes.

A body is what agents read, what search indexes and what every page of the ticket renders; a
customer's own words fit in far less than these limits. What exceeds one is a paste, a log or a
data dump (a 1 MB line posted through the API made the ticket page unusable): it is kept whole as a
text attachment, stored like any attachment, and the body keeps its first part, with the cut noted
in ``meta["truncated"]`` so the page says so in the reader's language. Nothing is lost: the
attachment holds every character and the raw row keeps the payload as it arrived.

Each channel kind says its limit in its spec (``body_limit``), read through
:meth:`hub.ports.ChannelCatalogue.body_limit`. The limits count characters (a Chinese character is
one), and are documented in the README's channel section; change them there too.
"""

from __future__ import annotations

import msgspec

from hub.intake.inbound import InboundAttachment, InboundMessage
from hub.ports import AttachmentStore

#: The attachment holding the whole text of a message cut to its channel's limit.
FULL_TEXT_FILENAME = "message-full-text.txt"


def within_limit(storage: AttachmentStore, message: InboundMessage, limit: int) -> InboundMessage:
    """``message`` with its body cut to ``limit`` characters and the whole text attached, or unchanged."""
    if len(message.text) <= limit:
        return message
    whole = message.text.encode("utf-8")
    attachment = InboundAttachment(
        filename=FULL_TEXT_FILENAME,
        content_type="text/plain; charset=utf-8",
        sha256=storage.put(whole),
        size=len(whole),
    )
    return msgspec.structs.replace(
        message,
        text=message.text[:limit],
        attachments=(*message.attachments, attachment),
        meta={
            **message.meta,
            "truncated": {"chars": len(message.text), "kept": limit, "attachment": FULL_TEXT_FILENAME},
        },
    )
