"""Web-chat visitors: a browser the widget gave an id, before and after it says anything."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, created_at


class WebchatVisitor(Base):
    """One per visitor id (kept in the visitor's browser and named by their signed token).

    A row of its own rather than the contact's identity profile because a visitor exists before
    their first message (the page they are on, a pre-chat form, an offline e-mail) and most never
    write at all: a contact and its identity (``webchat`` / the visitor id) are made by the funnel
    only when the first message arrives, as on every channel. The live part (is the visitor on the
    page now) is kept in Redis with a TTL, not here.
    """

    __tablename__ = "webchat_visitors"

    id: Mapped[uuid.UUID] = mapped_column(pg.UUID(as_uuid=True), primary_key=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    #: From the pre-chat form (as typed, unverified) or a verified ``HubChat.setUser``.
    name: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(64))
    #: Where the conversation continues by e-mail while the visitor is away (the offline form,
    #: the pre-chat form or a verified identity).
    email: Mapped[str | None] = mapped_column(sa.String(320))
    #: The integrator's user id, once ``HubChat.setUser`` proved it with the channel secret.
    verified_id: Mapped[str | None] = mapped_column(sa.String(200))
    #: The page the visitor was last seen on: url, referrer, title, language, browser.
    page: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
