"""An agent's reply reaches the visitor: live on their sockets, or by e-mail once they left.

Live: the reply is published on the visitor's conversation channel, which every web process
holding one of the visitor's sockets listens to; the socket marks it delivered when it hands it
over, and the transcript gives it to a socket that opens later (``ready``), so a visitor who
reloads in between still gets it.

Offline: a visitor who left an e-mail address (the offline form, the pre-chat form or a verified
identity) and is not on the page now gets the reply by e-mail as well, with the conversation so
far, from the team's e-mail channel. The mail carries the ticket's reply token and Message-ID like
any reply of the e-mail channel, so the client's answer threads back into the same ticket. Without
an e-mail channel the delivery fails, saying so, for the agent to see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import msgspec

from channels.webchat import live, visitors
from hub.delivery.outbound import DeliveryResult, OutboundMessage
from hub.errors import DeliveryError

if TYPE_CHECKING:
    import uuid

    from channels.webchat.connection import WebchatConnection


class WebchatSender:
    #: The widget shows a message once by its id, so a push repeated after a dead worker is harmless.
    resend_safe = True

    def __init__(self, connection: WebchatConnection) -> None:
        self.connection = connection

    async def frame(self, message: OutboundMessage) -> bytes:
        data: dict[str, object] = {
            "id": str(message.message_id),
            "direction": "out",
            "text": message.text,
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "status": "sent",
            "attachments": [],
        }
        if message.author_name:
            data["author"] = {"name": message.author_name}
        if message.csat:
            data["csat"] = visitors.survey_json()
        hub = self.connection.hub
        if message.attachments and hub is not None:
            # Their links name the stored rows, which the outbound message does not carry.
            import sqlalchemy as sa

            from hub.models import Attachment

            url = visitors.file_url(self.connection.master_key, message.channel_id)
            async with hub.session_factory() as session:
                rows = await session.scalars(
                    sa.select(Attachment).where(Attachment.message_id == message.message_id)
                )
                data["attachments"] = [
                    {"filename": a.filename, "url": url(a.id), "content_type": a.content_type, "size": a.size}
                    for a in rows
                ]
        return msgspec.json.encode({"event": "message", "message": data})

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        visitor = message.thread_ref or (message.recipients[0] if message.recipients else None)
        if not visitor:
            raise DeliveryError(
                "the visitor of this chat is unknown", transient=False, code="delivery_no_recipient"
            )
        redis = self.connection.redis
        await redis.publish(live.conversation(message.channel_id, visitor), await self.frame(message))
        if message.is_auto or await live.present(redis, message.channel_id, visitor):
            return DeliveryResult()
        hub = self.connection.hub
        if hub is None:
            return DeliveryResult()
        from channels.webchat.offline import by_email

        return await by_email(hub, message, _visitor_uuid(visitor))


def _visitor_uuid(value: str) -> uuid.UUID | None:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None
