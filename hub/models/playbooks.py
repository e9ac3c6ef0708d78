"""Playbook runs on tickets and the playbook versions they pin.

A run keeps the version it started with (``playbook_versions``: the whole file as data, named by
its content digest) so editing the file later changes new runs only. What happened on a run is
also written to the ticket's event log (``playbook_started``, ``playbook_step_done``, ...).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.domain import PlaybookRunStatus
from hub.models.base import Base, created_at, str_enum, uuid_pk


class PlaybookVersionRow(Base):
    __tablename__ = "playbook_versions"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    playbook_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    document: Mapped[dict[str, Any]] = mapped_column(pg.JSONB)
    created_at: Mapped[datetime] = created_at()


class PlaybookRun(Base):
    __tablename__ = "playbook_runs"
    __table_args__ = (
        # One primary playbook per ticket while it runs.
        sa.Index(
            "uq_playbook_runs_active_primary",
            "ticket_id",
            unique=True,
            postgresql_where=sa.text("is_primary AND status = 'active'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(sa.ForeignKey("playbook_versions.digest"))
    playbook_id: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(sa.Integer)
    is_primary: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    status: Mapped[PlaybookRunStatus] = mapped_column(
        str_enum(PlaybookRunStatus, "playbook_run_status"),
        default=PlaybookRunStatus.ACTIVE,
        server_default="active",
    )
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    started_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Step id -> {"state": "done"|"skipped", "by", "at", "evidence" | "reason"}.
    steps: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")
    #: The form values collected so far (the playbook's fields, stored on the ticket's run).
    fields: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")


class PlaybookSuggestionRow(Base):
    """The playbooks suggested for a ticket when it opened or its scenario last changed, with why
    (written by an event-bus subscriber, :mod:`hub.playbooks.suggestions`)."""

    __tablename__ = "playbook_suggestions"

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``opened`` or ``scenario``: what made the hub look.
    cause: Mapped[str] = mapped_column(sa.String(16))
    #: ``[{"playbook", "version", "title", "reason", "detail"}]``, best first.
    suggestions: Mapped[list[dict[str, Any]]] = mapped_column(pg.JSONB, default=list, server_default="[]")
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
