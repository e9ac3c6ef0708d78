"""The one shape of an error answer (RFC 9457 problem details), for the web app and for the
channels that answer HTTP themselves (the web-chat widget's routes): ``type`` is a stable URI per
code, ``title`` and ``detail`` are in the reader's language, ``code`` is what clients switch on."""

from __future__ import annotations

from typing import Any

MEDIA_TYPE = "application/problem+json"

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


def title(status: int, locale: str) -> str:
    english, chinese = _TITLES.get(status, ("Error", "错误"))
    return chinese if locale == "zh-CN" else english


def body(
    status: int, code: str, detail: str, *, locale: str, instance: str | None = None, **extra: Any
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "type": f"https://hub.dev/problems/{code.replace('_', '-')}",
        "title": title(status, locale),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance is not None:
        found["instance"] = instance
    return {**found, **extra}
