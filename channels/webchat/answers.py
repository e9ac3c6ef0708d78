"""What the widget's routes answer: JSON, problem details in the visitor's language, and CORS
headers for the allowed origin only (an answer a browser may read on the host page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from channels.spec import WebhookResponse
from hub import problems
from hub.i18n import negotiate, translate

PROBLEM = problems.MEDIA_TYPE
_CORS_STATIC = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Expose-Headers": "Retry-After",
    "Access-Control-Max-Age": "600",
    "Vary": "Origin",
}


class WidgetProblem(Exception):
    """Refuse a widget request with ``status`` and a catalogue ``code``."""

    def __init__(
        self, status: int, code: str, *, headers: Mapping[str, str] | None = None, **params: Any
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = params
        self.headers = dict(headers or {})


def cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, **_CORS_STATIC}


def json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> WebhookResponse:
    return WebhookResponse(status, msgspec.json.encode(data), "application/json", dict(headers or {}))


def problem(
    headers_in: Mapping[str, str],
    status: int,
    code: str,
    *,
    headers: Mapping[str, str] | None = None,
    **params: Any,
) -> WebhookResponse:
    locale = negotiate(headers_in.get("accept-language"), default="en")
    found = problems.body(status, code, translate(code, locale, **params), locale=locale)
    return WebhookResponse(status, msgspec.json.encode(found), PROBLEM, dict(headers or {}))
