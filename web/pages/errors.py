"""Errors on pages are pages: a login redirect instead of 401, a readable page instead of JSON.

The API's own exception handlers still decide the status and the translated detail; a page
request only changes how that answer is dressed, so the two can never disagree about what went
wrong. API requests (and anything else that is not a page) keep their problem details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from hub.errors import HubError
from hub.i18n import MESSAGES, translate
from web.pages.context import page_locale, render
from web.pages.security import PAGE_HEADERS, login_url

ExceptionHandler = Callable[[Request, Exception], Response]


def is_page(request: Request) -> bool:
    """A page handler (``opt["page"]``), or a browser asking for an HTML page nobody serves."""
    handler = request.scope.get("route_handler")
    if handler is not None:
        return bool(handler.opt.get("page"))
    return (
        request.method == "GET"
        and not request.url.path.startswith("/api/")
        and "text/html" in request.headers.get("accept", "")
    )


def page_error(request: Request, exc: Exception, answer: Response) -> Response:
    status = answer.status_code
    if status == 401:
        return Redirect(login_url(request.url.path, request.url.query), status_code=303)
    body = answer.content if isinstance(answer.content, dict) else {}
    code = str(body.get("code", ""))
    response = render(
        request,
        "error.html",
        status_code=status,
        status=status,
        code=code,
        detail=_detail(request, exc, status),
    )
    response.headers.update({h.name: h.value or "" for h in PAGE_HEADERS})
    return response


def _detail(request: Request, exc: Exception, status: int) -> str | None:
    """The hub's own error in the page's language (the viewer's stored one), which may not be the
    browser's Accept-Language the API answer was worded in; ``None`` for the page's generic text.
    Litestar's own errors ("Not Found", a path that is no id) and internal errors have no words
    worth showing."""
    if status == 500:
        return None
    locale = page_locale(request)
    if isinstance(exc, HubError):
        return translate(exc.code, locale, **exc.params)
    code = getattr(exc, "code", None)
    if isinstance(exc, HTTPException) and isinstance(code, str) and code in MESSAGES:
        return translate(code, locale)
    return None


def page_aware(handlers: dict[Any, ExceptionHandler]) -> dict[Any, ExceptionHandler]:
    """The same handlers, answering page requests with :func:`page_error`."""

    def wrap(api_handler: ExceptionHandler) -> ExceptionHandler:
        def handle(request: Request, exc: Exception) -> Response:
            answer = api_handler(request, exc)
            return page_error(request, exc, answer) if is_page(request) else answer

        handle.__name__ = getattr(api_handler, "__name__", "handle")
        return handle

    return {kind: wrap(handler) for kind, handler in handlers.items()}
