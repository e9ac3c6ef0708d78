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

from hub.accounts.accounts import LoginFailed, OtpInvalid, OtpRequired
from hub.errors import Conflict, Forbidden, HubError, IngestFailed, InvalidInput, InvalidTransition, NotFound
from hub.i18n import negotiate, translate
from hub.intake.channel_instances import ChannelInactive, InvalidChannelToken
from hub.tickets.windows import WindowClosed

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

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

_TITLES = {
    400: ("Bad request", "请求有误"),
    401: ("Not authenticated", "未登录或凭据无效"),
    403: ("Forbidden", "禁止访问"),
    404: ("Not found", "未找到"),
    405: ("Method not allowed", "不允许的方法"),
    408: ("Request timeout", "请求超时"),
    409: ("Conflict", "冲突"),
    413: ("Too large", "内容过大"),
    422: ("Invalid input", "输入无效"),
    429: ("Too many requests", "请求过多"),
    431: ("Request headers too large", "请求头过大"),
    500: ("Internal error", "服务器内部错误"),
    503: ("Service unavailable", "服务不可用"),
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
    english, chinese = _TITLES.get(status, ("Error", "错误"))
    body = {
        "type": f"https://hub.dev/problems/{code.replace('_', '-')}",
        "title": chinese if locale_of(request) == "zh-CN" else english,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


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
    detail = exc.detail or _TITLES.get(status, ("Error", ""))[0]
    return problem(request, status, f"http_{status}", detail, headers=exc.headers)


#: msgspec's words for a text over a length limit, said in the reader's language.
_TOO_LONG = re.compile(r"Expected `str` of length <= (\d+)")


def _validation_detail(errors: Any, locale: str) -> str | None:
    """Litestar's own detail only says "Validation failed for POST /path"; say what is wrong."""
    if not isinstance(errors, list):
        return None
    parts = []
    for error in errors:
        if not isinstance(error, dict) or not error.get("message"):
            continue
        key = error.get("key")
        if too_long := _TOO_LONG.fullmatch(str(error["message"])):
            error = {**error, "message": translate("too_long", locale, limit=too_long[1])}
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
