"""The WeChat API over httpx (async): token, customer-service and template sends, media, user info.

Why not wechatpy's ``WeChatClient``: it is synchronous (requests), so every call would hold a
thread; its default timeout is none and the token fetch ignores any timeout; ``auto_retry`` recurses
without bound on a persistent 40001 (RecursionError after ~970 calls, burning the 2,000-a-day token
quota); the token URL ignores ``API_BASE_URL``; and its token storage has no cross-process lock.
The connector needs six endpoints of plain JSON over HTTPS, so a small async client costs less
than patching around all of that, and shares the event loop (and connection pool) of the worker.

Rules here: every request has a timeout; a token WeChat refuses (40001/40014/42001) is refreshed
once, through the shared cache, and the call retried once; nothing else is retried in this layer
(the outbox and the media job own retries, with backoff). Errors come back as
:class:`WeChatApiError` (WeChat answered with an errcode) or :class:`Unreachable` (no usable answer).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
from redis.asyncio import Redis

from channels.wechat.config import WeChatConfig
from channels.wechat.errors import TOKEN_ERRORS
from channels.wechat.tokens import TokenCache

#: A JSON call's budget: WeChat answers in well under a second when healthy.
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
#: Media can be large (video up to 10 MB).
MEDIA_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
#: A follower's picture is a small JPEG (132 px by default, 640 px at most); more is not an avatar.
AVATAR_MAX_BYTES = 1024 * 1024
#: Raster formats a browser shows without running anything.
AVATAR_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_SECRET_QUERY = re.compile(r"((?:secret|access_token)=)[^&\s\"']+")


class _RedactCredentials(logging.Filter):
    """httpx logs every request URL at INFO, query included: hide the AppSecret and access tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _SECRET_QUERY.sub(r"\1***", str(a)) if isinstance(a, httpx.URL | str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        return True


logging.getLogger("httpx").addFilter(_RedactCredentials())


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class Unreachable(Exception):
    """Timeout, connection failure, HTTP 5xx or an answer that is not WeChat's."""


@dataclass(frozen=True)
class Media:
    filename: str
    content_type: str
    data: bytes


def _json(response: httpx.Response) -> dict[str, Any] | None:
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type and not response.content.lstrip().startswith(b"{"):
        return None
    try:
        data = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return None
    return data if isinstance(data, dict) else None


def _errcode(data: dict[str, Any] | None) -> int:
    try:
        return int((data or {}).get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


def _filename(response: httpx.Response, fallback: str) -> str:
    disposition = response.headers.get("content-disposition", "")
    match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition, re.IGNORECASE)
    return match.group(1).strip() if match else fallback


class WeChatApi:
    def __init__(
        self,
        http: httpx.AsyncClient,
        redis: Redis,
        *,
        max_media_bytes: int = 25 * 1024 * 1024,
        timeout: httpx.Timeout = TIMEOUT,
        media_timeout: httpx.Timeout = MEDIA_TIMEOUT,
    ) -> None:
        self.http = http
        self.tokens = TokenCache(redis, self.fetch_token)
        self.max_media_bytes = max_media_bytes
        self.timeout = timeout
        self.media_timeout = media_timeout

    async def _request(
        self, method: str, url: str, *, limits: httpx.Timeout | None = None, **kwargs: Any
    ) -> httpx.Response:
        limits = limits or self.timeout
        try:
            response = await self.http.request(method, url, timeout=limits, **kwargs)
        except httpx.TimeoutException:
            raise Unreachable(f"no answer within {limits.read or limits.connect} s") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 500:
            raise Unreachable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise Unreachable(f"HTTP {response.status_code}: {response.text[:200]}")
        return response

    async def fetch_token(self, config: WeChatConfig) -> tuple[str, int]:
        """GET /cgi-bin/token: called by the token cache only, under its lock."""
        params = {"grant_type": "client_credential", "appid": config.app_id, "secret": config.secret()}
        response = await self._request("GET", f"{config.api_base}/cgi-bin/token", params=params)
        data = _json(response)
        if _errcode(data) or not data or not data.get("access_token"):
            raise WeChatApiError(_errcode(data) or -1, str((data or {}).get("errmsg", "no access_token")))
        return str(data["access_token"]), int(data.get("expires_in") or 7200)

    async def call(
        self,
        config: WeChatConfig,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        limits: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """One API call with the shared token; one refresh and one retry when the token is refused."""
        request: dict[str, Any] = {"params": params or {}, "limits": limits}
        if body is not None:
            # UTF-8 as is: WeChat shows \\uXXXX escapes literally in some places.
            request["content"] = msgspec.json.encode(body)
            request["headers"] = {"Content-Type": "application/json; charset=utf-8"}
        if files is not None:
            request["files"] = files
        url = f"{config.api_base}/cgi-bin/{path}"
        token = await self.tokens.get(config)
        response = await self._with_token(method, url, token, request)
        if _errcode(_json(response)) in TOKEN_ERRORS:
            token = await self.tokens.get(config, stale=token)
            response = await self._with_token(method, url, token, request)
        data = _json(response)
        if _errcode(data):
            raise WeChatApiError(_errcode(data), str((data or {}).get("errmsg", "")))
        return response

    async def _with_token(self, method: str, url: str, token: str, request: dict[str, Any]) -> httpx.Response:
        params = {"access_token": token, **request["params"]}
        return await self._request(method, url, **{**request, "params": params})

    async def send_custom(self, config: WeChatConfig, body: dict[str, Any]) -> None:
        await self.call(config, "POST", "message/custom/send", body=body)

    async def send_template(self, config: WeChatConfig, body: dict[str, Any]) -> str:
        response = await self.call(config, "POST", "message/template/send", body=body)
        return str((_json(response) or {}).get("msgid", ""))

    async def upload_image(self, config: WeChatConfig, filename: str, content_type: str, data: bytes) -> str:
        response = await self.call(
            config,
            "POST",
            "media/upload",
            params={"type": "image"},
            files={"media": (filename, data, content_type)},
            limits=self.media_timeout,
        )
        media_id = (_json(response) or {}).get("media_id")
        if not media_id:
            raise Unreachable("media/upload answered without a media_id")
        return str(media_id)

    async def user_info(self, config: WeChatConfig, openid: str) -> dict[str, Any]:
        response = await self.call(config, "GET", "user/info", params={"openid": openid, "lang": "zh_CN"})
        return _json(response) or {}

    async def avatar(self, url: str) -> Media:
        """GET the ``headimgurl`` user/info answered: a public image on WeChat's CDN, no token.

        The URL comes from WeChat's answer, yet it is still checked: http(s) only, an image type,
        and a size an avatar has, so a strange answer cannot fill the attachment store.
        """
        if urlsplit(url).scheme not in ("http", "https"):
            raise Unreachable(f"the avatar URL is not http(s): {url[:100]}")
        response = await self._request("GET", url)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in AVATAR_TYPES:
            raise Unreachable(f"the avatar URL answered {content_type or 'no content type'}, not an image")
        if len(response.content) > AVATAR_MAX_BYTES:
            raise Unreachable(f"the avatar is larger than {AVATAR_MAX_BYTES} bytes")
        return Media(filename="avatar", content_type=content_type, data=response.content)

    async def media(self, config: WeChatConfig, media_id: str, *, kind: str) -> Media:
        """GET media/get: the bytes, or for a video the ``video_url`` it answers, fetched in turn."""
        response = await self.call(
            config, "GET", "media/get", params={"media_id": media_id}, limits=self.media_timeout
        )
        data = _json(response)
        if data is not None:
            url = data.get("video_url") or data.get("down_url")
            if not url:
                raise Unreachable("media/get answered JSON without a video_url")
            response = await self._request("GET", str(url), limits=self.media_timeout)
        if len(response.content) > self.max_media_bytes:
            raise Unreachable(f"the file is larger than {self.max_media_bytes} bytes")
        content_type = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        return Media(
            filename=_filename(response, f"{media_id}{_EXTENSIONS.get(kind, '')}"),
            content_type=content_type,
            data=response.content,
        )


_EXTENSIONS = {"image": ".jpg", "voice": ".amr", "video": ".mp4", "shortvideo": ".mp4"}
