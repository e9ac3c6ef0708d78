"""A fake WeChat API on 127.0.0.1: a real HTTP server (stdlib, in a thread) for the connector's tests.

It implements what the connector calls (``/cgi-bin/token``, ``message/custom/send``,
``message/template/send``, ``media/get`` (+ the ``video_url`` it hands out), ``media/upload``,
``user/info``) with WeChat's rules where they matter: tokens are issued, replaced and expire
(40001 for a replaced token, 42001 for an expired one); customer-service messages need an
interaction within 48 hours (45015) and allow 5 per user message (45047); requests are validated
(44002/47001 for a bad body). Tests script failures per endpoint with :meth:`inject`: an errcode,
``"hang"`` (answer later than any client timeout), or an HTTP status.

It runs in its own thread so it serves whichever event loop the code under test runs on.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

WINDOW_SECONDS = 48 * 3600
REPLIES_PER_MESSAGE = 5
HANG_SECONDS = 8.0


@dataclass
class Call:
    endpoint: str
    query: dict[str, str]
    body: bytes
    at: float


@dataclass
class FakeWeChat:
    app_id: str = "wx-fake-app"
    secret: str = "fake-app-secret-0123456789"
    #: openid -> user/info answer (without errcode).
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: media_id -> (bytes, content type, filename); a "video" type answers a video_url instead.
    media: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)
    #: name -> (bytes, content type) served at ``/avatar/<name>``, as WeChat's CDN serves headimgurl.
    avatars: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    #: Seconds /cgi-bin/token takes, to let concurrent callers contend for the refresh.
    token_delay: float = 0.0
    #: Added to the real time: tests move WeChat's clock past the 48-hour window.
    clock_offset: float = 0.0

    def __post_init__(self) -> None:
        self.calls: list[Call] = []
        self.sent: list[dict[str, Any]] = []
        self.templates: list[dict[str, Any]] = []
        self.uploads: list[int] = []
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # token -> expires at
        self._current: str | None = None
        self._issued = 0
        self._spoke: dict[str, float] = {}
        self._replies: dict[str, int] = defaultdict(int)
        self._inject: dict[str, deque[Any]] = defaultdict(deque)
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- the test's controls ---------------------------------------------------------------------

    def avatar_url(self, name: str) -> str:
        return f"{self.base}/avatar/{name}"

    def now(self) -> float:
        return time.time() + self.clock_offset

    def inject(self, endpoint: str, *answers: Any) -> None:
        """Script the next answers of an endpoint: an errcode (int), "hang" or ("http", status)."""
        with self._lock:
            self._inject[endpoint].extend(answers)

    def user_spoke(self, openid: str) -> None:
        """The user sent a message: a fresh 48-hour window with 5 replies."""
        with self._lock:
            self._spoke[openid] = self.now()
            self._replies[openid] = 0

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0

    def count(self, endpoint: str) -> int:
        return sum(1 for c in self.calls if c.endpoint == endpoint)

    @property
    def base(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWeChat:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                fake._handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                fake._handle(self, self.rfile.read(length))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-wechat", daemon=True).start()
        return self

    def close(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- serving ---------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        url = urlparse(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        endpoint = {
            "/cgi-bin/token": "token",
            "/cgi-bin/message/custom/send": "custom_send",
            "/cgi-bin/message/template/send": "template_send",
            "/cgi-bin/media/get": "media_get",
            "/cgi-bin/media/upload": "upload",
            "/cgi-bin/user/info": "user_info",
        }.get(url.path, url.path.split("/")[1] if url.path.startswith(("/video/", "/avatar/")) else "unknown")
        with self._lock:
            self.calls.append(Call(endpoint, query, body, time.monotonic()))
            scripted = self._inject[endpoint].popleft() if self._inject[endpoint] else None
        if scripted == "hang":
            self._closing.wait(HANG_SECONDS)
            return
        if isinstance(scripted, tuple):
            return self._reply(handler, {"error": "scripted"}, status=scripted[1])
        if isinstance(scripted, int):
            return self._reply(handler, {"errcode": scripted, "errmsg": f"scripted {scripted}"})
        if endpoint == "token":
            return self._token(handler, query)
        if endpoint == "video":
            data, content_type, _ = self.media[url.path.rsplit("/", 1)[1]]
            return self._bytes(handler, data, content_type, None)
        if endpoint == "avatar":
            picture = self.avatars.get(url.path.rsplit("/", 1)[1])
            if picture is None:
                return self._reply(handler, {"error": "no such picture"}, status=404)
            return self._bytes(handler, *picture, None)
        if endpoint == "unknown":
            return self._reply(handler, {"errcode": 48001, "errmsg": "api unauthorized"})
        problem = self._check_token(query.get("access_token", ""))
        if problem:
            return self._reply(handler, problem)
        getattr(self, f"_{endpoint}")(handler, query, body)

    def _reply(self, handler: BaseHTTPRequestHandler, data: dict[str, Any], status: int = 200) -> None:
        payload = json.dumps(data, ensure_ascii=False).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; encoding=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _bytes(
        self, handler: BaseHTTPRequestHandler, data: bytes, content_type: str, name: str | None
    ) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        if name:
            handler.send_header("Content-disposition", f'attachment; filename="{name}"')
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _token(self, handler: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        if self.token_delay:
            time.sleep(self.token_delay)
        if query.get("appid") != self.app_id:
            return self._reply(handler, {"errcode": 40013, "errmsg": "invalid appid"})
        if query.get("secret") != self.secret:
            return self._reply(handler, {"errcode": 40125, "errmsg": "invalid appsecret"})
        with self._lock:
            self._issued += 1
            token = f"T{self._issued}"
            # A new token ends the previous one (after WeChat's overlap, which we leave out).
            self._tokens = {token: self.now() + 7200}
            self._current = token
        self._reply(handler, {"access_token": token, "expires_in": 7200})

    def _check_token(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            expires = self._tokens.get(token)
        if expires is None:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if expires <= self.now():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def _custom_send(self, handler: BaseHTTPRequestHandler, query: dict[str, str], body: bytes) -> None:
        data = json.loads(body)
        openid, msgtype = data.get("touser"), data.get("msgtype")
        valid = (msgtype == "text" and data.get("text", {}).get("content")) or (
            msgtype == "image" and data.get("image", {}).get("media_id")
        )
        if not openid or not valid:
            return self._reply(handler, {"errcode": 44002, "errmsg": "empty post data or bad message"})
        with self._lock:
            spoke = self._spoke.get(openid)
            if spoke is None or self.now() - spoke > WINDOW_SECONDS:
                answer = {
                    "errcode": 45015,
                    "errmsg": "response out of time limit or subscription is canceled",
                }
            elif self._replies[openid] >= REPLIES_PER_MESSAGE:
                answer = {"errcode": 45047, "errmsg": "out of response count limit"}
            else:
                self._replies[openid] += 1
                self.sent.append(data)
                answer = {"errcode": 0, "errmsg": "ok"}
        self._reply(handler, answer)

    def _template_send(self, handler: BaseHTTPRequestHandler, query: dict[str, str], body: bytes) -> None:
        data = json.loads(body)
        if not data.get("touser") or not data.get("template_id") or not isinstance(data.get("data"), dict):
            return self._reply(handler, {"errcode": 47003, "errmsg": "argument invalid"})
        with self._lock:
            self.templates.append(data)
            msgid = 200163800 + len(self.templates)
        self._reply(handler, {"errcode": 0, "errmsg": "ok", "msgid": msgid})

    def _media_get(self, handler: BaseHTTPRequestHandler, query: dict[str, str], body: bytes) -> None:
        item = self.media.get(query.get("media_id", ""))
        if item is None:
            return self._reply(handler, {"errcode": 40007, "errmsg": "invalid media_id"})
        data, content_type, name = item
        if content_type.startswith("video/"):
            return self._reply(handler, {"video_url": f"{self.base}/video/{query['media_id']}"})
        self._bytes(handler, data, content_type, name)

    def _upload(self, handler: BaseHTTPRequestHandler, query: dict[str, str], body: bytes) -> None:
        if query.get("type") != "image" or b'name="media"' not in body:
            return self._reply(handler, {"errcode": 40004, "errmsg": "invalid media type"})
        with self._lock:
            self.uploads.append(len(body))
            media_id = f"up-{len(self.uploads)}"
        self._reply(handler, {"type": "image", "media_id": media_id, "created_at": int(self.now())})

    def _user_info(self, handler: BaseHTTPRequestHandler, query: dict[str, str], body: bytes) -> None:
        user = self.users.get(query.get("openid", ""))
        if user is None:
            return self._reply(handler, {"errcode": 40003, "errmsg": "invalid openid"})
        self._reply(handler, {"subscribe": 1, "openid": query["openid"], **user})
