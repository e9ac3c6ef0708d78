"""Internal hand-offs: a ticket put to another team's liaison, who owes an answer within ``2bh``.

The row holds the clock (due and warning instants on the target team's calendar, the answer) and
``next_due_at`` for the sweep; what happened is also written to the ticket's event log
(``handoff_requested``, ``handoff_answered``, ``handoff_warning``, ``handoff_breached``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.domain import HandoffStatus
from hub.models.base import Base, created_at, str_enum, uuid_pk
from hub.sla.targets import ClockStatus


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        sa.Index(
            "ix_handoffs_next_due_at", "next_due_at", postgresql_where=sa.text("next_due_at IS NOT NULL")
        ),
        sa.Index("ix_handoffs_open_ticket", "ticket_id", postgresql_where=sa.text("status = 'open'")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    from_user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_team_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    to_team_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    #: The target team's liaison when the hand-off was made (the person it is addressed to).
    liaison_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[HandoffStatus] = mapped_column(
        str_enum(HandoffStatus, "handoff_status"), default=HandoffStatus.OPEN, server_default="open"
    )
    calendar: Mapped[str] = mapped_column(sa.String(64), default="cn", server_default="cn")
    state: Mapped[ClockStatus] = mapped_column(
        str_enum(ClockStatus, "handoff_state"), default=ClockStatus.ACTIVE, server_default="active"
    )
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    warn_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The note or reply that answered it.
    answer_message_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL")
    )
    next_due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
