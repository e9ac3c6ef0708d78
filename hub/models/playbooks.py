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


class PlaybookFollowup(Base):
    """A follow-up a playbook's ``schedule_followup`` action set on a ticket: when it falls due the
    deadline sweep records ``followup_due`` on the ticket and reminds the assignee, once."""

    __tablename__ = "playbook_followups"
    __table_args__ = (
        sa.Index(
            "ix_playbook_followups_next_due_at",
            "next_due_at",
            postgresql_where=sa.text("next_due_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    playbook_id: Mapped[str] = mapped_column(sa.String(64))
    #: The offset as the playbook wrote it (``1bd``), and the instant it gave on the ticket's calendar.
    after: Mapped[str] = mapped_column(sa.String(16))
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    #: When the sweep recorded it due and reminded the assignee.
    reminded_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    next_due_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class PlaybookWebhook(Base):
    """A signed POST a playbook's ``webhook`` action asked for, with its attempts: delivered by a
    job at once, retried with back-off by the worker's sweep, and failed for good after the last."""

    __tablename__ = "playbook_webhooks"
    __table_args__ = (
        sa.Index(
            "ix_playbook_webhooks_due",
            "next_attempt_at",
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.CheckConstraint("(secret_env IS NULL) <> (secret_channel_id IS NULL)", name="one_secret"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    playbook_id: Mapped[str] = mapped_column(sa.String(64))
    url: Mapped[str] = mapped_column(sa.String(2000))
    #: Where the signing secret is: an environment variable's name, or an API channel's webhook secret.
    secret_env: Mapped[str | None] = mapped_column(sa.String(100))
    secret_channel_id: Mapped[uuid.UUID | None] = mapped_column(pg.UUID(as_uuid=True))
    #: The exact JSON sent, the same bytes on every attempt (the receiver drops a repeat by its id).
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: ``pending``, ``sent`` or ``failed``.
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
