"""What every admin page shares: its sections, who may open and who may edit them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.response import Redirect, Template

from hub.domain import Role
from hub.models import User
from web.auth.guards import supervisors
from web.auth.identity import CurrentUser
from web.pages.context import render


@dataclass(frozen=True)
class Section:
    key: str
    path: str
    #: Supervisors may open it (read-only, or their own tokens); else administrators only.
    supervisors: bool


SECTIONS = (
    Section("channels", "/admin/channels", supervisors=False),
    Section("users", "/admin/users", supervisors=True),
    Section("teams", "/admin/teams", supervisors=True),
    Section("organizations", "/admin/organizations", supervisors=True),
    Section("sla", "/admin/sla", supervisors=False),
    Section("calendars", "/admin/calendars", supervisors=True),
    Section("tokens", "/admin/tokens", supervisors=True),
    Section("notifications", "/admin/notifications", supervisors=False),
    Section("surveys", "/admin/surveys", supervisors=False),
)


def is_admin(request: Request) -> bool:
    user: CurrentUser = request.user
    return user.role is Role.ADMIN


def admin_render(request: Request, template: str, section: str, **data: Any) -> Template:
    admin = is_admin(request)
    return render(
        request,
        template,
        sections=[s for s in SECTIONS if admin or s.supervisors],
        section=section,
        can_edit=admin,
        choices=choices,
        named=named,
        same=same,
        **data,
    )


def choices(people: Iterable[User], nobody: str | None = None) -> list[tuple[str, str]]:
    """People as a select's options (value, label), after an optional "nobody" choice."""
    found = [("", nobody)] if nobody is not None else []
    return found + [(str(u.id), f"{u.name} <{u.email}>") for u in people]


def named(rows: Iterable[Any], nobody: str | None = None) -> list[tuple[str, str]]:
    """Rows with an id and a name (teams, organisations) as a select's options."""
    found = [("", nobody)] if nobody is not None else []
    return found + [(str(r.id), r.name) for r in rows]


def same(values: Iterable[Any], nobody: str | None = None) -> list[tuple[str, str]]:
    """Values that are their own labels (a setting's choices, calendar names)."""
    found = [("", nobody)] if nobody is not None else []
    return found + [(str(v), str(v)) for v in values]


@get("/admin", guards=[supervisors], name="admin")
async def admin_home(request: Request) -> Redirect:
    """The first section this person may open: channels for administrators, people for supervisors."""
    first = next(s for s in SECTIONS if is_admin(request) or s.supervisors)
    return Redirect(first.path, status_code=303)
