"""The edge: what every HTTP request must satisfy before a handler, a decoder or PostgreSQL sees it.

One rule for every route rather than a check per endpoint, because the failures it prevents were
never about one endpoint: a NUL character (which PostgreSQL refuses in text) reached the database
through 14 of them, deeply nested JSON exhausted the decoder's recursion on all of them, and a
client that stops sending its body held a connection for as long as it liked.

- Too many or too large headers: 431, as a reverse proxy would (uvicorn's parser sets no limit).
- A NUL in the path, the query or a form body: 422. Identifiers, credentials and search terms
  with a NUL are not what the client meant; changing them silently would be worse than saying so.
- A NUL escape (``\\u0000``) in a JSON body: 422 too, except on routes that carry message text:
  agents' replies and notes (``opt={NUL_OPT: STRIP}``) lose it here, and the channel kinds' routes
  (``opt={NUL_OPT: KEEP}``, payloads stored as sent) in the inbound funnel, which drops it from every channel's.
- JSON nested deeper than :data:`MAX_JSON_DEPTH`: 400, counted on the raw bytes before decoding.
  Bodies are checked when the handler reads them, after its guards, not ahead of them.
- A body larger than the route's limit: 413 before it is all in memory.
- A body that stops arriving for :data:`BODY_IDLE_SECONDS`: 408, and the connection is closed.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import msgspec
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

#: A reverse proxy's usual head limits (nginx: 4 buffers of 8 KB); a browser sends a few dozen.
MAX_HEADERS = 100
MAX_HEADER_BYTES = 32 * 1024
#: No request body the API takes nests deeper than a handful of levels.
MAX_JSON_DEPTH = 32
#: How long a body may pause between two chunks. Idle time, not total: a large upload on a slow
#: link keeps going; a client that announced more than it sends is let go quickly.
BODY_IDLE_SECONDS = 5.0

#: What ``hub serve`` (and the tests' live server) give uvicorn beside the checks of this module.
#: ``h11`` limits the request head itself (uvicorn's default parser, httptools, has no limit: the
#: middleware's 431 covers it); idle keep-alive connections are closed after a few seconds.
SERVER_OPTIONS: dict[str, Any] = {
    "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    "timeout_keep_alive": 5,
}

#: The handler ``opt`` key saying what to do with NUL escapes in its JSON body.
NUL_OPT = "edge_nul"
#: Drop NUL escapes from the body: message text, where a NUL is noise, not meaning.
STRIP = "strip"
#: Pass the body as sent: the handler hands it to the inbound funnel, which drops NUL from every
#: channel's message alike and keeps the caller's original bytes.
KEEP = "keep"

_NUL_IN_QUERY = re.compile(rb"%00|\x00")
# A JSON ``\u0000`` escape: after an even run of backslashes (an odd one escapes the backslash).
_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_PARENS = bytes.maketrans(b"[]{}", b"()()")
_CLOSING = frozenset({408, 413, 431})
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class EdgeRefused(HTTPException):
    """A request refused at the edge; ``code`` names the i18n message the problem carries."""

    def __init__(self, status_code: int, code: str, **params: Any) -> None:
        # A body left unread (or a head too big to trust) ends the connection, not just the request.
        headers = {"Connection": "close"} if status_code in _CLOSING else None
        super().__init__(status_code=status_code, detail=code, headers=headers)
        self.code = code
        self.params = params


def nested_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests deeper than ``limit``, found without decoding it.

    Strings are dropped (brackets inside them do not count) and every bracket becomes ``(`` or
    ``)``: depth does not care which kind. Each round then removes the innermost ``()`` pairs, so
    after ``r`` rounds every removed part was at most ``r`` deep and what is left has no pair:
    ``)))(((``, whose openers are the depth left. Exact for valid JSON; for invalid JSON it bounds
    the depth a decoder reaches before it fails. Every step is a C-speed pass over the bytes.
    """
    skeleton = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body)).translate(_PARENS)
    rounds = 0
    too_deep = b"(" * (limit + 1)
    while skeleton and rounds <= limit:
        if too_deep in skeleton:  # a run of openers alone says so: no need to peel it
            return True
        shorter = skeleton.replace(b"()", b"")
        if len(shorter) == len(skeleton):
            break
        skeleton = shorter
        rounds += 1
    return skeleton.count(b"(") + rounds > limit


def _check_head(scope: Scope) -> None:
    headers = scope["headers"]
    if len(headers) > MAX_HEADERS or sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES:
        raise EdgeRefused(431, "headers_too_large", count=MAX_HEADERS, size=MAX_HEADER_BYTES // 1024)
    if "\x00" in scope["path"] or _NUL_IN_QUERY.search(scope["query_string"]):
        raise EdgeRefused(422, "nul_character")


def _body_encoding(handler: Any) -> RequestEncodingType | str | None:
    """The media type the handler decodes its body as (None: it has no ``data`` to decode)."""
    if not isinstance(handler, HTTPRouteHandler):
        return None
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    kwarg = data.kwarg_definition
    media_type: RequestEncodingType | str = getattr(kwarg, "media_type", None) or RequestEncodingType.JSON
    return media_type


def _idle_limited(receive: Receive) -> Receive:
    """``receive`` with :data:`BODY_IDLE_SECONDS` per body chunk, until the body is complete (then
    unbounded: a streaming response waits on it for the disconnect)."""
    complete = False

    async def receive_chunk() -> Message:
        nonlocal complete
        if complete:
            return await receive()
        try:
            async with asyncio.timeout(BODY_IDLE_SECONDS):
                message = await receive()
        except TimeoutError:
            raise EdgeRefused(408, "body_timeout", seconds=int(BODY_IDLE_SECONDS)) from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            complete = True
        return message

    return receive_chunk


async def _read_body(receive: Receive, limit: int | None) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise EdgeRefused(413, "body_too_large", limit=limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _checking(receive: Receive, check: Any) -> Receive:
    """``receive`` that hands over the whole body at once, checked by ``check``, when the handler
    first reads it: after the route's guards, so a caller they refuse cannot make us read a body."""
    read = False

    async def checked() -> Message:
        nonlocal read
        if read:
            return await receive()
        read = True
        return {"type": "http.request", "body": await check(receive), "more_body": False}

    return checked


def _checked_body(body: bytes, encoding: RequestEncodingType | str, handler: HTTPRouteHandler) -> bytes:
    if encoding == RequestEncodingType.URL_ENCODED:
        if _NUL_IN_QUERY.search(body):
            raise EdgeRefused(422, "nul_character")
        return body
    if encoding != RequestEncodingType.JSON:
        return body  # multipart and other bytes: files may hold any byte
    if nested_too_deep(body):
        raise EdgeRefused(400, "json_too_deep", depth=MAX_JSON_DEPTH)
    if b"\\u0000" in body and _NUL_ESCAPE.search(body):
        rule = handler.opt.get(NUL_OPT)
        if rule == STRIP:
            body = _NUL_ESCAPE.sub(rb"\1", body)
        elif rule != KEEP:
            raise EdgeRefused(422, "nul_character")
    _check_strictly(body, handler)
    return body


def _body_type(handler: HTTPRouteHandler) -> Any:
    data = handler.parsed_fn_signature.parameters.get("data")
    return None if data is None else data.annotation


def _check_strictly(body: bytes, handler: HTTPRouteHandler) -> None:
    """A JSON body is decoded the way its type says, strictly: ``true`` is a boolean and ``0`` is
    not, a number is not a string. Litestar converts request data leniently (it must, for query
    strings), which would let ``"is_active": 0`` switch a channel off; the API schema promises
    types, and this keeps the promise before the handler sees the body."""
    kind = _body_type(handler)
    if kind is None or not body.strip():
        return
    try:
        msgspec.json.decode(body, type=kind, strict=True)
    except msgspec.ValidationError as exc:
        message, _, at = str(exc).partition(" - at `$")
        if message.startswith("Expected `int") and message.endswith("got `float`"):
            return  # JSON Schema's integer includes 1.0: Litestar converts it, and refuses 1.5 itself
        # Said as Litestar says its own validation errors, so both read the same to a client.
        key = at.rstrip("`").lstrip(".") or "data"
        raise ValidationException(
            detail="Validation failed", extra=[{"message": message, "key": key, "source": "body"}]
        ) from None
    except (msgspec.DecodeError, TypeError):
        return  # not JSON at all, or a type msgspec cannot decode into: Litestar answers as before


class EdgeMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        _check_head(scope)
        receive = _idle_limited(receive)
        handler = scope.get("route_handler")
        encoding = None if scope["method"] in _NO_BODY else _body_encoding(handler)
        if encoding is None or encoding == RequestEncodingType.MULTI_PART:
            await next_app(scope, receive, send)
            return
        assert isinstance(handler, HTTPRouteHandler)
        limit = handler.resolve_request_max_body_size()

        async def check(receive: Receive) -> bytes:
            body = await _read_body(receive, limit if isinstance(limit, int) else None)
            return _checked_body(body, encoding, handler)

        await next_app(scope, _checking(receive, check), send)
