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
from web.auth.guards import supervisors
from web.auth.identity import CurrentUser
from web.pages.context import render, zone_of

PAGE = 100


@get("/audit", guards=[supervisors], name="audit")
async def audit_page(
    request: Request,
    db: NamedDependency[AsyncSession],
    actor: Annotated[uuid.UUID | None, QueryParameter()] = None,
    actor_kind: Annotated[str | None, QueryParameter(pattern="^(user|system|channel|cli)?$")] = None,
    subject_type: Annotated[str | None, QueryParameter(max_length=64)] = None,
    subject_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
    action: Annotated[str | None, QueryParameter(max_length=64)] = None,
    since: Annotated[date | None, QueryParameter(description="From this day (your time zone)")] = None,
    until: Annotated[date | None, QueryParameter(description="To this day, included")] = None,
    before: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> Template:
    user: CurrentUser = request.user
    zone = zone_of(user)
    query = audit_log.AuditQuery(
        actor_user_id=actor,
        actor_kind=actor_kind or None,
        subject_type=subject_type or None,
        subject_id=subject_id or None,
        action=action or None,
        since=datetime.combine(since, time(), zone) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), zone) if until else None,
    )
    rows = await audit_log.search(db, user.actor, query, limit=PAGE + 1, before_id=before)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    filters = {
        "actor": str(actor) if actor else "",
        "actor_kind": actor_kind or "",
        "subject_type": subject_type or "",
        "subject_id": subject_id or "",
        "action": action or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
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
