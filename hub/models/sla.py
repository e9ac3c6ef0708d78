"""SLA policies and each ticket's persisted clocks.

``ticket_sla`` is a cache of :func:`hub.sla.clock.compute_clocks` over the ticket's event log, kept
in its own narrow table: the sweep rewrites it often, and that must neither rewrite the wide
ticket row (search vector, tags) nor wait on the row locks agents hold while they work. One
partial index on ``next_due_at`` is all the sweep reads, however many tickets are open.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.domain import ChannelKind, Priority, Tier
from hub.models.base import Base, created_at, str_enum, utcnow, uuid_pk
from hub.sla.targets import ClockStatus

#: hub.calendars.durations specs as stored: normalised ``<n>[b](m|h|d)``.
SPEC_REGEX = "^[1-9][0-9]*b?[mhd]$"


class SlaPolicy(Base):
    __tablename__ = "sla_policies"
    __table_args__ = tuple(
        sa.CheckConstraint(f"{column} IS NULL OR {column} ~ '{SPEC_REGEX}'", name=f"{column}_spec")
        for column in ("first_response", "next_response", "resolution")
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    #: Match criteria; null matches anything.
    channel_kind: Mapped[ChannelKind | None] = mapped_column(str_enum(ChannelKind, "sla_policy_channel_kind"))
    priority: Mapped[Priority | None] = mapped_column(str_enum(Priority, "sla_policy_priority"))
    tier: Mapped[Tier | None] = mapped_column(str_enum(Tier, "sla_policy_tier"))
    #: Targets as duration specs (``3bm``, ``1bd``, ``24h``); null means no target.
    first_response: Mapped[str | None] = mapped_column(sa.String(16))
    next_response: Mapped[str | None] = mapped_column(sa.String(16))
    resolution: Mapped[str | None] = mapped_column(sa.String(16))
    #: Breaks ties between equally specific policies (lower first).
    position: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )


def _state(name: str) -> Mapped[ClockStatus | None]:
    return mapped_column(str_enum(ClockStatus, name))


def _at() -> Mapped[datetime | None]:
    return mapped_column(sa.DateTime(timezone=True))


class TicketSla(Base):
    """The latest instance of each target, and when the sweep must next look at the ticket."""

    __tablename__ = "ticket_sla"
    __table_args__ = (
        sa.Index(
            "ix_ticket_sla_next_due_at", "next_due_at", postgresql_where=sa.text("next_due_at IS NOT NULL")
        ),
        # ``due_at()`` in order (migration 0016): the inbox's default sort walks it. Written as
        # PostgreSQL prints the expression back (its casts and line breaks aside), so the schema
        # comparison sees it unchanged.
        sa.Index(
            "ix_ticket_sla_due",
            sa.text(
                "LEAST(\n"
                + ",\n".join(
                    f"CASE\n    WHEN {t}_state = 'active' THEN {t}_due_at\n    ELSE NULL\nEND"
                    for t in ("first_response", "next_response", "resolution")
                )
                + ")"
            ),
        ),
        # No running due time but a client waiting, by the wait (migration 0022): the SLA order's
        # second segment (:mod:`hub.tickets.due_order`).
        sa.Index(
            "ix_ticket_sla_waiting_undue",
            "waiting_since",
            postgresql_where=sa.text(
                "waiting_since IS NOT NULL AND least("
                + ", ".join(
                    f"CASE WHEN {t}_state = 'active' THEN {t}_due_at END"
                    for t in ("first_response", "next_response", "resolution")
                )
                + ") IS NULL"
            ),
        ),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True
    )
    #: The applied policy's name (a built-in default has no row, only a name).
    policy_name: Mapped[str | None] = mapped_column(sa.String(120))
    calendar: Mapped[str] = mapped_column(sa.String(64), default="cn", server_default="cn")
    cycle: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    paused_since: Mapped[datetime | None] = _at()
    waiting_since: Mapped[datetime | None] = _at()
    first_response_state: Mapped[ClockStatus | None] = _state("ticket_sla_first_response_state")
    first_response_due_at: Mapped[datetime | None] = _at()
    first_response_at: Mapped[datetime | None] = _at()
    first_response_breached_at: Mapped[datetime | None] = _at()
    next_response_state: Mapped[ClockStatus | None] = _state("ticket_sla_next_response_state")
    next_response_due_at: Mapped[datetime | None] = _at()
    next_response_at: Mapped[datetime | None] = _at()
    next_response_breached_at: Mapped[datetime | None] = _at()
    resolution_state: Mapped[ClockStatus | None] = _state("ticket_sla_resolution_state")
    resolution_due_at: Mapped[datetime | None] = _at()
    resolution_at: Mapped[datetime | None] = _at()
    resolution_breached_at: Mapped[datetime | None] = _at()
    #: Any target of the current cycle breached (inbox badge, "breached" filters).
    breached: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: The earliest warning still owed.
    warning_at: Mapped[datetime | None] = _at()
    #: When a complaint climbs its next escalation level (``None``: no level owed, or paused).
    escalation_due_at: Mapped[datetime | None] = _at()
    #: The earliest warning, breach or escalation still owed: the sweep's only search key.
    next_due_at: Mapped[datetime | None] = _at()
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, server_default=sa.func.now()
    )

    @classmethod
    @functools.cache
    def due_at(cls) -> sa.ColumnElement[datetime]:
        """The earliest due time of a target still running (``NULL``: none): the inbox's SLA order.
        ``ix_ticket_sla_due`` indexes exactly this expression, so the inbox walks it in order
        instead of sorting every open ticket. Built once (an expression is immutable): a page of
        the inbox used it a dozen times."""
        active: sa.ColumnElement[str] = sa.literal_column("'active'")
        return sa.func.least(
            *(
                sa.case((getattr(cls, f"{t}_state") == active, getattr(cls, f"{t}_due_at")))
                for t in ("first_response", "next_response", "resolution")
            )
        )
