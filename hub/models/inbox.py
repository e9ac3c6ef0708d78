"""What the agent inbox keeps of its own: ticket merges and splits (so a supervisor can undo them)
and the saved views agents keep for themselves or share with their team."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, created_at, uuid_pk


class TicketMerge(Base):
    """One merge of ``source`` into ``target``, or one split of a message out of ``source`` into the
    new ticket ``target``: the messages and threading keys that moved, so undoing moves exactly
    those back, and what the source's status was."""

    __tablename__ = "ticket_merges"

    id: Mapped[uuid.UUID] = uuid_pk()
    #: ``merge`` or ``split``.
    kind: Mapped[str] = mapped_column(sa.String(16))
    source_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_ids: Mapped[list[uuid.UUID]] = mapped_column(pg.ARRAY(pg.UUID(as_uuid=True)))
    thread_ref_ids: Mapped[list[uuid.UUID]] = mapped_column(
        pg.ARRAY(pg.UUID(as_uuid=True)), default=list, server_default="{}"
    )
    #: The source's status before the merge, given back when it is undone.
    source_status: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = created_at()
    undone_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    undone_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class SavedView(Base):
    """A named inbox filter and sort; ``shared_team_id`` set: every member of that team sees it."""

    __tablename__ = "saved_views"

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shared_team_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(80))
    #: The inbox query string's fields (view, status, assignee, team, tag, q, sort...).
    filters: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")
    created_at: Mapped[datetime] = created_at()
