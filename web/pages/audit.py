"""The audit log viewer (supervisors and admins): the append-only trail searched by actor, object,
action and period, newest first, with the same search as a CSV export. A plain GET form: the
filters are the page's address, so a search can be bookmarked or sent to a colleague."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audit_log
from hub.accounts import directory
from hub.errors import InvalidInput
from web.auth.guards import supervisors
from web.auth.identity import CurrentUser
from web.pages.context import render, zone_of

PAGE = 100


@get("/audit", guards=[supervisors], name="audit")
async def audit_page(
    request: Request,
    db: NamedDependency[AsyncSession],
    actor: Annotated[str | None, QueryParameter(max_length=36)] = None,
    actor_kind: Annotated[str | None, QueryParameter(pattern="^(user|system|channel|cli)?$")] = None,
    subject_type: Annotated[str | None, QueryParameter(max_length=64)] = None,
    subject_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
    action: Annotated[str | None, QueryParameter(max_length=64)] = None,
    since: Annotated[
        str | None, QueryParameter(max_length=10, description="From this day (your time zone)")
    ] = None,
    until: Annotated[str | None, QueryParameter(max_length=10, description="To this day, included")] = None,
    before: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> Template:
    """The form sends every field, empty ones too: an empty field is no filter."""
    user: CurrentUser = request.user
    zone = zone_of(user)
    actor_id = _uuid(actor)
    since_day, until_day = _day(since), _day(until)
    query = audit_log.AuditQuery(
        actor_user_id=actor_id,
        actor_kind=actor_kind or None,
        subject_type=subject_type or None,
        subject_id=subject_id or None,
        action=action or None,
        since=datetime.combine(since_day, time(), zone) if since_day else None,
        until=datetime.combine(until_day + timedelta(days=1), time(), zone) if until_day else None,
    )
    rows = await audit_log.search(db, user.actor, query, limit=PAGE + 1, before_id=before)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    filters = {
        "actor": str(actor_id) if actor_id else "",
        "actor_kind": actor_kind or "",
        "subject_type": subject_type or "",
        "subject_id": subject_id or "",
        "action": action or "",
        "since": since_day.isoformat() if since_day else "",
        "until": until_day.isoformat() if until_day else "",
    }
    given = {k: v for k, v in filters.items() if v}
    export = {k: v for k, v in given.items() if k not in ("since", "until")}
    if query.since:
        export["since"] = query.since.isoformat()
    if query.until:
        export["until"] = query.until.isoformat()
    return render(
        request,
        "audit.html",
        rows=rows,
        filters=filters,
        people=await directory.list_users(db, user.actor),
        subject_types=await audit_log.subject_types(db),
        next_url=f"/audit?{urlencode({**given, 'before': rows[-1].event.id})}" if more and rows else None,
        export_url=f"/api/v1/audit/export.csv?{urlencode(export)}",
    )


def _uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(detail="actor must be a user id") from None


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(detail=f"{value!r} is not a day (YYYY-MM-DD)") from None
