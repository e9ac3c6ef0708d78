"""Contacts and the identities that join one person across channels."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.domain import ChannelKind
from hub.models.base import Base, created_at, str_enum, uuid_pk


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    #: Set when this contact was merged into another; its identities and tickets moved there.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at()


class ContactIdentity(Base):
    __tablename__ = "contact_identities"
    __table_args__ = (sa.UniqueConstraint("kind", "value"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    contact_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ChannelKind] = mapped_column(str_enum(ChannelKind, "identity_kind"))
    #: Normalised: e-mail lower-cased, phone E.164, WeChat ``appid:openid``.
    value: Mapped[str] = mapped_column(sa.String(320))
    #: The person left this address's channel (unfollowed a WeChat account): their history stays,
    #: replies to it are refused until they come back.
    left_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: What the channel tells about the address (nickname, avatar URL, subscribe scene...), as fetched.
    profile: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_at()
