"""The login page. The form posts to ``POST /api/v1/auth/login`` (throttling, TOTP, translated
errors and the session cookies all live there); this handler only renders it, in the visitor's
language, with the page to return to once logged in."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from web.pages.context import render
from web.pages.security import safe_next


@get("/login", exclude_from_auth=True, name="login")
async def login_page(
    request: Request, target: Annotated[str | None, QueryParameter(name="next")] = None
) -> Template:
    return render(request, "login.html", next=safe_next(target))
