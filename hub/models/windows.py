"""Reply windows: how long, and how often, a channel still lets us answer one contact identity."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base


class ReplyWindow(Base):
    """One per (channel, identity): opened by the customer's last message, used up by our replies.

    Kept per identity, not per contact, because the channel counts per address (a WeChat openid),
    and a contact merge moves identities, so the window follows the person without a rewrite.
    """

    __tablename__ = "reply_windows"
    __table_args__ = (sa.PrimaryKeyConstraint("channel_id", "identity_id"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    identity_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("contact_identities.id", ondelete="CASCADE"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    #: Replies the opening message allows, and how many we have spent.
    replies_allowed: Mapped[int] = mapped_column(sa.Integer)
    replies_used: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
