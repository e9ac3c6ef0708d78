"""Channel instances: one mailbox, one Official Account, one widget, one phone line, one integration."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.domain import ChannelKind
from hub.models.base import Base, created_at, str_enum, uuid_pk


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[ChannelKind] = mapped_column(str_enum(ChannelKind, "channel_kind"))
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    #: Team whose agents receive this channel's new tickets when no account manager takes them.
    team_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    #: Non-secret settings (callback URL, mailbox host...). Secrets are named env vars or derived keys.
    config: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")
    #: SHA-256 of the channel's inbound API token (API channel), never the token itself.
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_at: Mapped[datetime] = created_at()


class PhoneExtension(Base):
    """A PBX extension of a phone line and the user who answers on it.

    A table rather than the channel's settings: an extension names a user, and a user deleted
    takes their mappings along (the calls they took keep the extension and the name they had in
    the message's call record, so no call becomes unreadable).
    """

    __tablename__ = "phone_extensions"

    channel_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    extension: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_at()
