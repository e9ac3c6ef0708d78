"""Reading the append-only audit trail: who changed what, when, and from what to what.

Search by actor (a user, or the system, a channel or the command line), by object (its kind,
and one object's id), by action and by period; newest first, in pages that continue after the
last row's id. Supervisors and admins read it; nobody can change it (the table refuses UPDATE
and DELETE). The export gives the same rows as CSV in UTF-8 with a byte-order mark, so a
spreadsheet on Chinese Windows shows the Chinese in it.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

import sqlalchemy as sa

from hub import permissions
from hub.actors import Actor
from hub.models import AuditEvent, User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

MAX_PAGE = 500
MAX_EXPORT = 100_000
ACTOR_KINDS = ("user", "system", "channel", "cli")


@dataclass(frozen=True)
class AuditQuery:
    actor_user_id: uuid.UUID | None = None
    actor_kind: str | None = None
    #: The object's kind (``sla_policy``, ``calendar``, ``ticket``, ``user``, ``channel``...).
    subject_type: str | None = None
    subject_id: str | None = None
    #: An action, or the start of one (``ticket.assign`` finds ``ticket.assigned``).
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str | None


def _where(query: AuditQuery) -> list[sa.ColumnElement[bool]]:
    a = AuditEvent
    clauses: list[sa.ColumnElement[bool]] = []
    if query.actor_user_id is not None:
        clauses.append(a.actor_user_id == query.actor_user_id)
    if query.actor_kind:
        clauses.append(a.actor_kind == query.actor_kind)
    if query.subject_type:
        clauses.append(a.subject_type == query.subject_type)
    if query.subject_id:
        clauses.append(a.subject_id == query.subject_id)
    if query.action:
        escaped = query.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(a.action.like(f"{escaped}%", escape="\\"))
    if query.since is not None:
        clauses.append(a.at >= query.since)
    if query.until is not None:
        clauses.append(a.at < query.until)
    return clauses


async def search(
    session: AsyncSession,
    actor: Actor,
    query: AuditQuery,
    *,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditRow]:
    """Newest first; ``before_id`` continues after a page's last row."""
    permissions.require_supervisor(actor)
    statement = (
        sa.select(AuditEvent, User.name)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(*_where(query))
        .order_by(AuditEvent.id.desc())
        .limit(max(1, min(limit, MAX_EXPORT)))
    )
    if before_id is not None:
        statement = statement.where(AuditEvent.id < before_id)
    rows = await session.execute(statement)
    return [AuditRow(event, name) for event, name in rows]


async def subject_types(session: AsyncSession) -> list[str]:
    """The kinds of object the trail names, for the viewer's filter."""
    return list(
        await session.scalars(sa.select(AuditEvent.subject_type).distinct().order_by(AuditEvent.subject_type))
    )


HEADER = ("at", "actor", "actor_kind", "action", "subject_type", "subject_id", "before", "after", "reason")


def to_csv(rows: Iterable[AuditRow], zone: tzinfo) -> bytes:
    """UTF-8 with a BOM; instants in ``zone`` (the reader's) with their offset, JSON for values."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in rows:
        e = row.event
        writer.writerow(
            (
                e.at.astimezone(zone).isoformat(timespec="seconds"),
                row.actor_name or (str(e.actor_user_id) if e.actor_user_id else ""),
                e.actor_kind,
                e.action,
                e.subject_type,
                e.subject_id,
                _json(e.before),
                _json(e.after),
                e.reason or "",
            )
        )
    return "\ufeff".encode() + out.getvalue().encode()


def _json(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
