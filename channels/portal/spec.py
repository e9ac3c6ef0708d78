"""The partner portal's channel kind: every comment a partner writes in the portal is a message on
a ticket of this kind, so it is owned, routed, measured and promised like an e-mail.

There is nothing to send over: the partner reads the account manager's reply on the portal's
messages page (and the case or meeting it belongs to), so a reply is delivered the moment it is
committed. The hub makes its one portal channel itself on first use (``hub.portal.messages``);
an admin never adds one.
"""

from __future__ import annotations

from channels.spec import ChannelSpec, Connection, Resources
from hub.delivery.outbound import DeliveryResult, OutboundMessage


class PortalSender:
    #: Nothing leaves the hub: delivering twice shows the same row twice, which cannot happen.
    resend_safe = True

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        return DeliveryResult(external_id=f"portal:{message.message_id}")


def _connect(resources: Resources) -> Connection:
    return Connection(sender=PortalSender())


SPEC = ChannelSpec(
    kind="portal",
    title={"zh-CN": "合作方门户", "en": "Partner portal"},
    body_limit=20_000,
    connect=_connect,
    deliver_at_once=True,
)
