"""Where a pulled channel has read up to in a remote source (a mailbox folder, a polled feed).

The hub pushes nothing here: a channel that *fetches* its traffic (IMAP) keeps one row per
(channel, source) so that a restart continues where the last run stopped. ``validity`` names the
numbering the position belongs to (IMAP's UIDVALIDITY): when the source renumbers, positions of
the old numbering mean nothing and the channel starts over, relying on the idempotent ingest.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base


class SourceCursor(Base):
    __tablename__ = "source_cursors"
    __table_args__ = (sa.PrimaryKeyConstraint("channel_id", "source"),)

    channel_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    #: The remote source within the channel, e.g. an IMAP folder name.
    source: Mapped[str] = mapped_column(sa.String(500))
    validity: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: The last position whose item is stored in the hub (IMAP: the highest ingested UID).
    position: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    #: What the reader is doing (``watching``, ``standby``, ``error``...), for operators.
    state: Mapped[str] = mapped_column(sa.String(40), default="new", server_default="new")
    #: The last failure's reason while ``state`` is ``error``; cleared on the next success.
    error: Mapped[str | None] = mapped_column(sa.Text)
    error_since: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
