"""WeChat's error codes as delivery outcomes: retry or not, and what the agent reads.

Codes come from WeChat's global return-code table (全局返回码, mirrored in
``wechatpy.constants.WeChatErrorCode``). Each maps to a catalogue code of :mod:`hub.i18n`, so the
failed message says what happened in the agent's language, with WeChat's own code and text kept
in ``detail`` for whoever debugs it.
"""

from __future__ import annotations

from hub.errors import DeliveryError

#: The token was refused: refresh once and retry once (channels.wechat.api), never more.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})

# errcode -> (catalogue code, transient)
_MAP: dict[int, tuple[str, bool]] = {
    -1: ("delivery_unreachable", True),  # system busy
    40001: ("delivery_misconfigured", False),  # still refused after the one refresh
    40014: ("delivery_misconfigured", False),
    42001: ("delivery_misconfigured", False),
    40003: ("delivery_recipient_invalid", False),  # openid unknown to this account
    40007: ("delivery_bad_media", False),
    40013: ("delivery_misconfigured", False),  # invalid AppID
    40125: ("delivery_misconfigured", False),  # invalid AppSecret
    40164: ("delivery_misconfigured", False),  # caller IP not in the whitelist
    40037: ("delivery_misconfigured", False),  # invalid template_id
    47003: ("delivery_misconfigured", False),  # template data does not fit the template
    43004: ("delivery_recipient_left", False),  # requires subscription
    45009: ("delivery_rate_limited", True),  # daily API quota
    45011: ("delivery_rate_limited", True),  # per-minute API quota
    45015: ("delivery_window_closed", False),  # 48-hour window over, or unsubscribed
    45047: ("delivery_quota_exhausted", False),  # 5 replies per user message spent
    48001: ("delivery_not_authorized", False),  # the account type lacks this API
    48002: ("delivery_recipient_blocked", False),  # the user refuses messages
}
_EXPLAINED = {
    40001: "the access token was refused even after a refresh: is another system refreshing this AppID's token?",
    40164: "the hub's IP address is not in the account's API IP whitelist",
    40125: "the AppSecret in the environment is wrong",
    40013: "the AppID is wrong",
}


def api_failure(errcode: int, errmsg: str) -> DeliveryError:
    code, transient = _MAP.get(errcode, ("delivery_refused", False))
    detail = f"WeChat {errcode}: {errmsg or 'no message'}"
    if errcode in _EXPLAINED:
        detail = f"{detail} ({_EXPLAINED[errcode]})"
    return DeliveryError(detail, transient=transient, code=code, params={"detail": detail})


def unreachable(reason: str) -> DeliveryError:
    detail = f"WeChat API: {reason}"
    return DeliveryError(detail, transient=True, code="delivery_unreachable", params={"detail": detail})


def misconfigured(reason: str) -> DeliveryError:
    return DeliveryError(reason, transient=False, code="delivery_misconfigured", params={"detail": reason})
