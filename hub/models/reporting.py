"""Response-time metrics: one row per sample derived from a ticket's event log, and daily rollups.

``metric_samples`` is a projection of ``ticket_events`` (``hub.reporting``): it can be dropped and
rebuilt from the log at any time (``hub report rebuild``). A sample keeps the values it was
measured with (calendar and business seconds on the calendar in force, who and what it is
attributed to) until an audited recompute rewrites it, so a calendar edited later does not move
last month's numbers behind the supervisor's back. ``metric_daily`` sums the samples per day and
dimension so trends over months read a few thousand rows, not millions.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, created_at

#: What the summary reads of a duration sample besides its metric and day.
SUMMARY_COLUMNS = [
    "calendar_seconds",
    "business_seconds",
    "within_target",
    "agent_id",
    "team_id",
    "channel_kind",
    "organization_id",
    "priority",
    "playbook_id",
]


class MetricSample(Base):
    __tablename__ = "metric_samples"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "metric", "key"),
        sa.Index("ix_metric_samples_metric_bucket", "metric", "bucket_at"),
        sa.Index("ix_metric_samples_day", "day"),
        # A period's samples of one metric (the summary's percentiles), without reading the others
        # nor the table: the values and dimensions are in the index (an index-only scan).
        sa.Index("ix_metric_samples_metric_day", "metric", "day", postgresql_include=SUMMARY_COLUMNS),
        # Target instances still active: the few a report reads as breached once their due passed.
        sa.Index(
            "ix_metric_samples_active_sla",
            "day",
            postgresql_where=sa.text("metric = 'sla' AND outcome = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    #: first_response, human_pickup, reply_time, resolution_first/full/cycle/active, reopen, sla,
    #: created, resolved, bot_resolved, csat_sent, csat_response, csat_not_sent.
    metric: Mapped[str] = mapped_column(sa.String(32))
    #: Names the sample within its ticket and metric for good (a cycle, a wait's start...).
    key: Mapped[str] = mapped_column(sa.String(160))
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: The instant the sample counts in a period by: a duration's end, an SLA outcome's decisive
    #: time, a survey's send.
    bucket_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    #: ``bucket_at``'s date on the calendar's wall clock.
    day: Mapped[date] = mapped_column(sa.Date)
    calendar: Mapped[str] = mapped_column(sa.String(64))
    calendar_seconds: Mapped[float | None] = mapped_column(sa.Double)
    business_seconds: Mapped[float | None] = mapped_column(sa.Double)
    #: Whether the duration met the ticket's SLA target for it (null: no target).
    within_target: Mapped[bool | None] = mapped_column(sa.Boolean)
    start_event_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    end_event_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    start_message_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    end_message_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    #: Attribution, frozen at the sample's end: who responded (or resolved), who was assigned
    #: when it started, and the ticket's dimensions then.
    agent_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True), index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    team_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    channel_kind: Mapped[str | None] = mapped_column(sa.String(16))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    account_manager_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    priority: Mapped[str | None] = mapped_column(sa.String(16))
    playbook_id: Mapped[str | None] = mapped_column(sa.String(120))
    #: SLA samples: the target type and its outcome (met, breached, active, paused, void).
    target: Mapped[str | None] = mapped_column(sa.String(32))
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    breach_by_seconds: Mapped[float | None] = mapped_column(sa.Double)
    #: CSAT responses: the rating 1-5.
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    recorded_at: Mapped[datetime] = created_at()


class MetricDaily(Base):
    """Per day and dimension: how many samples, their sums and maxima, outcomes and ratings."""

    __tablename__ = "metric_daily"
    __table_args__ = (sa.Index("ix_metric_daily_day_metric", "day", "metric"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date)
    metric: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str | None] = mapped_column(sa.String(32))
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    team_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    channel_kind: Mapped[str | None] = mapped_column(sa.String(16))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    priority: Mapped[str | None] = mapped_column(sa.String(16))
    playbook_id: Mapped[str | None] = mapped_column(sa.String(120))
    n: Mapped[int] = mapped_column(sa.BigInteger)
    calendar_sum: Mapped[float] = mapped_column(sa.Double)
    business_sum: Mapped[float] = mapped_column(sa.Double)
    calendar_max: Mapped[float | None] = mapped_column(sa.Double)
    business_max: Mapped[float | None] = mapped_column(sa.Double)
    within: Mapped[int] = mapped_column(sa.BigInteger)
    with_target: Mapped[int] = mapped_column(sa.BigInteger)
    rating_sum: Mapped[int] = mapped_column(sa.BigInteger)
    rating_good: Mapped[int] = mapped_column(sa.BigInteger)


class MetricQueue(Base):
    """Tickets whose samples are owed a derivation (``hub.reporting.projection.drain``).

    Filled by triggers on ``ticket_events`` and ``requirement_events`` in the transaction that
    appends to a log, whichever code appended (a use case, the funnel's set-based writes, a sweep),
    so a ticket is queued exactly when its log changed and stays queued through any crash until a
    drain derived it and committed. One row per ticket: a hundred commits on one ticket between
    two drains are one derivation.
    """

    __tablename__ = "metric_queue"

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    queued_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)


class MonthlyReviewMailing(Base):
    """The monthly review's mail to supervisors, one row per month: claimed by the worker that
    sends it, stamped once sent, so a restarted or second worker never mails a month twice."""

    __tablename__ = "monthly_review_mailings"

    #: The month reviewed (its first day).
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    recipients: Mapped[int] = mapped_column(sa.Integer, server_default="0")
