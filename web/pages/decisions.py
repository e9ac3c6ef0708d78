"""Decisions to the front line as pages: what was published to me (confirm, answer), and for
supervisors the publishing form and who read and answered each one.

Writes go through the REST API (``/api/v1/decisions``) from ``web/static/decisions.js``, as the
ticket page's do; these handlers only read.
"""

from __future__ import annotations

import uuid

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import directory
from hub.decisions import decisions
from hub.domain import Role
from web.auth.guards import staff
from web.auth.identity import CurrentUser
from web.pages.context import render


def _is_supervisor(user: CurrentUser) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


@get("/decisions", guards=[staff], name="decisions")
async def decisions_page(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    user: CurrentUser = request.user
    now = request.app.state.hub.clock.now()
    supervisor = _is_supervisor(user)
    return render(
        request,
        "decisions.html",
        mine=await decisions.mine(db, user.id),
        published=await decisions.published(db, user.actor, now=now) if supervisor else [],
        teams=await directory.list_teams(db, user.actor) if supervisor else [],
        supervisor=supervisor,
        now=now,
    )


@get("/decisions/{decision_id:uuid}", guards=[staff], name="decision")
async def decision_page(
    request: Request, db: NamedDependency[AsyncSession], decision_id: FromPath[uuid.UUID]
) -> Template:
    user: CurrentUser = request.user
    now = request.app.state.hub.clock.now()
    found = await decisions.detail(db, user.actor, decision_id, now=now)
    teams = {t.id: t for t in await directory.list_teams(db, user.actor)}
    return render(
        request, "decision.html", found=found, supervisor=_is_supervisor(user), teams=teams, now=now
    )
