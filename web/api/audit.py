"""The audit trail over HTTP (supervisors and admins): search by actor, object, action and period,
newest first, and the same search exported as CSV (UTF-8 with a BOM). Read-only: there is no route
that changes it, and the table refuses UPDATE and DELETE."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audit_log
from hub.errors import InvalidInput
from web.auth.guards import BEARER, supervisors
from web.auth.identity import CurrentUser
from web.pages.context import zone_of


class AuditEventOut(msgspec.Struct):
    id: int
    at: datetime
    actor_user_id: uuid.UUID | None
    actor_name: str | None
    #: user, system, channel or cli
    actor_kind: str
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class AuditPageOut(msgspec.Struct):
    items: list[AuditEventOut]
    #: Give as ``before`` for the next (older) page; null on the last page.
    next_before: int | None


ActorKind = Annotated[str, msgspec.Meta(pattern="^(user|system|channel|cli)$")]
#: An instant with its offset, as RFC 3339 writes it. A ``datetime`` query parameter would also
#: take a bare number as a Unix time, which no reader of "ISO 8601 with offset" means.
INSTANT = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})$"


def audit_query(
    actor: uuid.UUID | None,
    actor_kind: str | None,
    subject_type: str | None,
    subject_id: str | None,
    action: str | None,
    since: str | None,
    until: str | None,
) -> audit_log.AuditQuery:
    return audit_log.AuditQuery(
        actor_user_id=actor,
        actor_kind=actor_kind or None,
        subject_type=subject_type or None,
        subject_id=subject_id or None,
        action=action or None,
        since=_instant("since", since),
        until=_instant("until", until),
    )


def _instant(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(detail=f"{name} is not a date and time: {value}") from None


def event_out(row: audit_log.AuditRow) -> AuditEventOut:
    e = row.event
    return AuditEventOut(
        id=e.id,
        at=e.at,
        actor_user_id=e.actor_user_id,
        actor_name=row.actor_name,
        actor_kind=e.actor_kind,
        action=e.action,
        subject_type=e.subject_type,
        subject_id=e.subject_id,
        before=e.before,
        after=e.after,
        reason=e.reason,
    )


Text64 = Annotated[str, msgspec.Meta(max_length=64)]


class AuditController(Controller):
    path = "/api/v1/audit"
    security = BEARER
    tags = ["audit"]

    @get("/", guards=[supervisors])
    async def search(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        actor: Annotated[uuid.UUID | None, QueryParameter(description="The acting user's id")] = None,
        actor_kind: Annotated[
            ActorKind | None, QueryParameter(description="user, system, channel or cli")
        ] = None,
        subject_type: Annotated[
            Text64 | None,
            QueryParameter(description="The object's kind: ticket, sla_policy, calendar, user, channel…"),
        ] = None,
        subject_id: Annotated[Text64 | None, QueryParameter(description="One object's id")] = None,
        action: Annotated[
            Text64 | None, QueryParameter(description="An action or its start (ticket.assign)")
        ] = None,
        since: Annotated[
            str | None, QueryParameter(description="At or after (ISO 8601 with offset)", pattern=INSTANT)
        ] = None,
        until: Annotated[
            str | None, QueryParameter(description="Before (ISO 8601 with offset)", pattern=INSTANT)
        ] = None,
        before: Annotated[
            int | None, QueryParameter(description="Continue after this id (next_before)", ge=1)
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=audit_log.MAX_PAGE)] = 100,
    ) -> AuditPageOut:
        """The audit trail, newest first."""
        user: CurrentUser = request.user
        query = audit_query(actor, actor_kind, subject_type, subject_id, action, since, until)
        rows = await audit_log.search(db, user.actor, query, limit=limit + 1, before_id=before)
        more = len(rows) > limit
        rows = rows[:limit]
        return AuditPageOut(
            items=[event_out(r) for r in rows], next_before=rows[-1].event.id if more and rows else None
        )

    @get("/export.csv", guards=[supervisors], media_type="text/csv; charset=utf-8")
    async def export(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        actor: Annotated[uuid.UUID | None, QueryParameter(description="The acting user's id")] = None,
        actor_kind: Annotated[
            ActorKind | None, QueryParameter(description="user, system, channel or cli")
        ] = None,
        subject_type: Annotated[Text64 | None, QueryParameter(description="The object's kind")] = None,
        subject_id: Annotated[Text64 | None, QueryParameter(description="One object's id")] = None,
        action: Annotated[Text64 | None, QueryParameter(description="An action or its start")] = None,
        since: Annotated[
            str | None, QueryParameter(description="At or after (ISO 8601 with offset)", pattern=INSTANT)
        ] = None,
        until: Annotated[
            str | None, QueryParameter(description="Before (ISO 8601 with offset)", pattern=INSTANT)
        ] = None,
    ) -> Response[bytes]:
        """The same search as CSV (UTF-8 with BOM, times in your time zone), up to 100,000 rows."""
        user: CurrentUser = request.user
        query = audit_query(actor, actor_kind, subject_type, subject_id, action, since, until)
        rows = await audit_log.search(db, user.actor, query, limit=audit_log.MAX_EXPORT)
        return Response(
            audit_log.to_csv(rows, zone_of(user)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )
