"""The hub core: one ticket model fed by every channel.

Nothing in this package knows about HTTP, the web framework or any channel's protocol;
the outer layers call in through :class:`hub.core.Hub` and plug in through :mod:`hub.ports`.
"""

from hub.core import Hub
from hub.inbound import InboundAttachment, InboundMessage, Sender

__all__ = ["Hub", "InboundAttachment", "InboundMessage", "Sender"]
