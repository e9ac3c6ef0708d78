"""The partner portal's quality cases (8D), meetings, action items and single-use links.

A quality case has one row per discipline the partner owes (``quality_steps``), each with its due
instant in the buyer's business time and ``next_due_at`` for the deadline sweep. Every case talks
on one ticket of the ``portal`` channel (``ticket_id``): its comments, and the events of its steps,
live in that ticket's log. Nothing here is deleted by the application: a case is closed or
cancelled, an action item done or cancelled, a link used or expired.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, created_at, str_enum, utcnow, uuid_pk
from hub.portal.terms import (
    ActionItemSource,
    ActionItemStatus,
    Discipline,
    LinkObject,
    MeetingKind,
    MeetingStatus,
    QualityCaseStatus,
    QualityStepStatus,
    Severity,
    Side,
)

#: Numbers of the cases the hub opens itself (``QC-1001``); the ERP's cases keep the ERP's number.
CASE_NUMBERS = sa.Sequence("quality_case_numbers", start=1001, metadata=Base.metadata)


def _updated_at() -> Mapped[datetime]:
    return mapped_column(sa.DateTime(timezone=True), default=utcnow, server_default=sa.func.now())


class QualityCase(Base):
    """An 8D case against a partner. An ERP's case is known by its ``sync_links`` row (entity
    ``quality_cases``: the ERP's source, its reference and its ``source_updated_at``), as orders are;
    the case keeps no copy of them."""

    __tablename__ = "quality_cases"

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    #: The case's conversation on the portal channel, owned by the partner's account manager.
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    severity: Mapped[Severity] = mapped_column(
        str_enum(Severity, "quality_severity"), default=Severity.MAJOR, server_default="major"
    )
    status: Mapped[QualityCaseStatus] = mapped_column(
        str_enum(QualityCaseStatus, "quality_case_status"),
        default=QualityCaseStatus.OPEN,
        server_default="open",
    )
    item: Mapped[str | None] = mapped_column(sa.String(120))
    lot: Mapped[str | None] = mapped_column(sa.String(120))
    #: The buyer's business calendar the steps are due in.
    calendar: Mapped[str] = mapped_column(sa.String(64), default="cn", server_default="cn")
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = _updated_at()


class QualityStep(Base):
    """One discipline the partner answers and the buyer accepts or rejects."""

    __tablename__ = "quality_steps"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "discipline", name="uq_quality_steps_case_id_discipline"),
        sa.Index(
            "ix_quality_steps_next_due_at", "next_due_at", postgresql_where=sa.text("next_due_at IS NOT NULL")
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR length(btrim(coalesce(review_comment, ''))) > 0",
            name="rejection_has_comment",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    case_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("quality_cases.id", ondelete="CASCADE"), index=True
    )
    #: Copied from the case: the deadline sweep locks the ticket, the scope filters by partner.
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    discipline: Mapped[Discipline] = mapped_column(str_enum(Discipline, "quality_discipline"))
    #: The duration the due instant was planned with (``1bd``), as the partner's timings said then.
    duration: Mapped[str] = mapped_column(sa.String(16))
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[QualityStepStatus] = mapped_column(
        str_enum(QualityStepStatus, "quality_step_status"),
        default=QualityStepStatus.OPEN,
        server_default="open",
    )
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: When the sweep found the step past due with no answer (escalated once, counted as late).
    overdue_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    next_due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class QualityTiming(Base):
    """A partner's own due time for a discipline, in place of the default (``D3`` in ``1bd``)."""

    __tablename__ = "quality_timings"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    discipline: Mapped[Discipline] = mapped_column(
        str_enum(Discipline, "quality_discipline"), primary_key=True
    )
    duration: Mapped[str] = mapped_column(sa.String(16))


class MeetingSeries(Base):
    """The weekly sync or monthly review held with one partner; each meeting makes the next."""

    __tablename__ = "meeting_series"

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MeetingKind] = mapped_column(str_enum(MeetingKind, "meeting_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    #: The first meeting's instant; later ones fall a week or a calendar month after the one before.
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_at: Mapped[datetime] = created_at()


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        sa.UniqueConstraint("series_id", "scheduled_at", name="uq_meetings_series_id_scheduled_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    series_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("meeting_series.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MeetingKind] = mapped_column(str_enum(MeetingKind, "meeting_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    scheduled_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[MeetingStatus] = mapped_column(
        str_enum(MeetingStatus, "meeting_status"), default=MeetingStatus.PLANNED, server_default="planned"
    )
    #: ``[{"title", "source", "ref"}]``: filled from the partner's open work when the meeting is made.
    agenda: Mapped[list[dict[str, Any]]] = mapped_column(pg.JSONB, default=list, server_default="[]")
    #: The buyer's draft until published; the partner reads it only once ``published_at`` is set.
    minutes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Staff and the partner's own users only: a partner never learns of another's people.
    attendee_ids: Mapped[list[uuid.UUID]] = mapped_column(
        pg.ARRAY(pg.UUID(as_uuid=True)), default=list, server_default="{}"
    )
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = _updated_at()


class ActionItem(Base):
    """One thing someone promised a partner, or a partner promised: one list per partner."""

    __tablename__ = "action_items"
    __table_args__ = (sa.CheckConstraint("length(btrim(title)) > 0", name="title_not_blank"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    owner_side: Mapped[Side] = mapped_column(str_enum(Side, "action_item_side"))
    due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[ActionItemStatus] = mapped_column(
        str_enum(ActionItemStatus, "action_item_status"), default=ActionItemStatus.OPEN, server_default="open"
    )
    source: Mapped[ActionItemSource] = mapped_column(str_enum(ActionItemSource, "action_item_source"))
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("meetings.id", ondelete="SET NULL"))
    quality_case_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("quality_cases.id", ondelete="SET NULL")
    )
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = _updated_at()


class PortalLink(Base):
    """A single-use, expiring link for one partner user to act on one object without logging in.

    Only hashes are stored: the link's token and the one-time code sent beside it.
    """

    __tablename__ = "portal_links"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    object_kind: Mapped[LinkObject] = mapped_column(str_enum(LinkObject, "portal_link_object"))
    object_id: Mapped[uuid.UUID] = mapped_column(pg.UUID(as_uuid=True))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Wrong codes tried; at the limit the link is spent.
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = created_at()
