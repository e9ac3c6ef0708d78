"""Every error leaves as RFC 9457 problem details, in the reader's language.

``type`` is a stable URI per error code, ``title`` and ``detail`` are translated (zh-CN or en from
Accept-Language), ``code`` is the machine-readable identifier clients should switch on.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from hub import problems
from hub.accounts.accounts import LoginFailed, OtpInvalid, OtpRequired
from hub.errors import Conflict, Forbidden, HubError, IngestFailed, InvalidInput, InvalidTransition, NotFound
from hub.i18n import negotiate, translate
from hub.intake.channel_instances import ChannelInactive, InvalidChannelToken
from hub.tickets.windows import WindowClosed

log = logging.getLogger(__name__)

PROBLEM = problems.MEDIA_TYPE

_STATUS: dict[type[HubError], int] = {
    NotFound: 404,
    Forbidden: 403,
    InvalidInput: 422,
    Conflict: 409,
    InvalidTransition: 409,
    IngestFailed: 500,
    LoginFailed: 401,
    OtpRequired: 401,
    OtpInvalid: 401,
    InvalidChannelToken: 401,
    ChannelInactive: 403,
    WindowClosed: 409,
}


def locale_of(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"), default="en")


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    found = problems.body(status, code, detail, locale=locale_of(request), instance=request.url.path, **extra)
    return Response(found, status_code=status, media_type=PROBLEM, headers=headers)


def hub_error(request: Request, exc: HubError) -> Response:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
    extra = {"raw_id": exc.params["raw_id"]} if "raw_id" in exc.params else {}
    if isinstance(exc, OtpRequired):
        extra["otp_required"] = True
    if isinstance(exc, WindowClosed) or isinstance(getattr(exc, "extra", None), dict):
        # What the client can act on: the window's alternatives, a playbook's open steps or tone.
        extra.update(exc.extra)  # type: ignore[attr-defined]
    return problem(request, status, exc.code, translate(exc.code, locale_of(request), **exc.params), **extra)


def http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    code = getattr(exc, "code", None)
    if code:
        params = getattr(exc, "params", None) or {}
        return problem(
            request, status, code, translate(code, locale_of(request), **params), headers=exc.headers
        )
    if isinstance(exc.__cause__, SerializationException):
        # msgspec's own words ("Input data was truncated") do not say it is about the body.
        detail = f"The request body is not valid JSON: {exc.detail}"
        return problem(request, 400, "http_400", detail, headers=exc.headers)
    if isinstance(exc, ValidationException):
        # A body or parameter of the wrong shape is invalid input, answered like the hub's own
        # InvalidInput (422), saying which field is wrong and keeping the field errors.
        reason = _validation_detail(exc.extra, locale_of(request)) or exc.detail
        detail = translate("invalid_input", locale_of(request), detail=reason)
        return problem(request, 422, "invalid_input", detail, headers=exc.headers, errors=exc.extra or [])
    detail = exc.detail or problems.title(status, "en")
    return problem(request, status, f"http_{status}", detail, headers=exc.headers)


#: msgspec's words for a text over a length limit, said in the reader's language.
_TOO_LONG = re.compile(r"Expected `str` of length <= (\d+)")
_TOO_SHORT = re.compile(r"Expected `str` of length >= (\d+)")
_PATTERN = re.compile(r"Expected `str` matching regex '(.*)'", re.DOTALL)


def _patterns() -> dict[str, str]:
    """The input patterns the API states, each with the words that explain it (i18n codes)."""
    from hub.accounts.organizations import CALENDAR_NAME
    from hub.calendars.durations import PATTERN as DURATION
    from hub.commands import EMAIL, WORDS
    from hub.requirements.views import USER_OR_ME
    from hub.sla.policies import TARGET
    from hub.tickets.views import ASSIGNEE
    from web.api.calendars import PERIODS, WEEK_LINE
    from web.openapi_contract import NO_NUL

    return {
        WORDS: "pattern_words",
        DURATION: "pattern_duration",
        TARGET: "pattern_target",
        USER_OR_ME: "pattern_user_or_me",
        ASSIGNEE: "pattern_assignee",
        CALENDAR_NAME: "pattern_calendar",
        EMAIL: "pattern_email",
        NO_NUL: "nul_character",
        WEEK_LINE: "pattern_week",
        PERIODS: "pattern_periods",
    }


def _explained(message: str, locale: str) -> str:
    """msgspec's words for a value that breaks a constraint, in the reader's language."""
    if too_long := _TOO_LONG.fullmatch(message):
        return translate("too_long", locale, limit=too_long[1])
    if too_short := _TOO_SHORT.fullmatch(message):
        return translate("too_short", locale, limit=too_short[1])
    if pattern := _PATTERN.fullmatch(message):
        # msgspec shows the pattern with its backslashes doubled (repr-style).
        written = pattern[1].replace("\\\\", "\\")
        code = _patterns().get(written)
        return translate(code, locale) if code else translate("pattern_other", locale, pattern=written)
    return message


def _validation_detail(errors: Any, locale: str) -> str | None:
    """Litestar's own detail only says "Validation failed for POST /path"; say what is wrong."""
    if not isinstance(errors, list):
        return None
    parts = []
    for error in errors:
        if not isinstance(error, dict) or not error.get("message"):
            continue
        key = error.get("key")
        error = {**error, "message": _explained(str(error["message"]), locale)}
        parts.append(f"{key}: {error['message']}" if key and key != "data" else str(error["message"]))
    return "; ".join(parts) if parts else None


def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        translate("hub_error", locale_of(request)),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    HubError: hub_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM", "MediaType", "problem"]
