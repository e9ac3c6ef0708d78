"""An agent's unsent reply or note on a ticket, kept on the server.

One row per person, ticket and kind: the composer saves it as the agent types, so a reload, another
device or a crash of the browser does not lose it; sending the reply or note removes it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base

#: The composer's two boxes.
DRAFT_KINDS = ("reply", "note")


class TicketDraft(Base):
    __tablename__ = "ticket_drafts"
    __table_args__ = (sa.CheckConstraint("kind IN ('reply', 'note')", name="kind_known"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    text: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
