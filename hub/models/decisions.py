"""Decisions and guidelines published to the front line (决策传达), and each recipient's receipt.

A guideline is versioned: a new version is a new row of the same ``series_id`` with the next
``version``, published to its own recipients; the earlier one stays as it was read.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, uuid_pk


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('decision', 'guideline')", name="kind_known"),
        sa.UniqueConstraint("series_id", "version", name="uq_decisions_series_version"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(sa.String(16))
    series_id: Mapped[uuid.UUID] = mapped_column(pg.UUID(as_uuid=True), index=True)
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    #: The teams it went to; empty: everyone on the staff.
    team_ids: Mapped[list[uuid.UUID]] = mapped_column(pg.ARRAY(pg.UUID(as_uuid=True)), server_default="{}")
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    #: The promises, in the SLA engine's units (``24h``, ``3bd``), and the calendar they ran on.
    read_within: Mapped[str] = mapped_column(sa.String(16))
    feedback_within: Mapped[str] = mapped_column(sa.String(16))
    calendar: Mapped[str] = mapped_column(sa.String(64))


class DecisionReceipt(Base):
    """One recipient of a decision: when they had to read it and answer, and when they did."""

    __tablename__ = "decision_receipts"
    __table_args__ = (sa.Index("ix_decision_receipts_user_unread", "user_id", "read_at"),)

    decision_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    read_due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    feedback_due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    feedback_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    feedback: Mapped[str | None] = mapped_column(sa.Text)
