"""The web-chat widget's script (``GET /widget.js``) and the demo shop page that embeds it.

The script is one static file, ``web/static/widget.js``, with the widget's words filled in from
the catalogue (``widget.*`` in :mod:`web.pages.text`) when it is first served, so the widget and
the pages never disagree and a translation is a catalogue change. It is built once per process,
kept gzipped beside the plain bytes, and cached by browsers: the one-line embed has no version in
its URL, so the plain URL revalidates with its ETag after a short while (a release reaches the
visitors within minutes, and a revalidation costs a 304), while ``/widget.js?v=<hash>`` is
immutable for a year.

``/widget/demo`` is a fake shop page with the one-line embed, for ``hub serve --demo``: it exists
only while the demo's web-chat channel does, so a real installation has no such page.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import uuid
from dataclasses import dataclass

import msgspec
import sqlalchemy as sa
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.batch_read import Wanted
from hub.demo import DEMO_WEBCHAT_NAME
from hub.domain import ChannelKind
from hub.i18n import SUPPORTED_LOCALES
from hub.models import Channel
from web.pages.context import render
from web.pages.static import STATIC_DIR
from web.pages.text import UI

PREFIX = "widget."
#: Where the served copy takes the catalogue's words; the file as stored keeps an empty table there.
TEXT_MARK = "/*@text*/ {}"
#: Short: the embed's URL carries no version, so a new release must reach visitors soon.
REVALIDATE = "public, max-age=300"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class WidgetScript:
    plain: bytes
    gzipped: bytes
    version: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def widget_text() -> dict[str, dict[str, str]]:
    """The widget's words by language, keys without their ``widget.`` prefix."""
    return {
        locale: {
            key.removeprefix(PREFIX): entry[locale] for key, entry in UI.items() if key.startswith(PREFIX)
        }
        for locale in SUPPORTED_LOCALES
    }


@functools.cache
def widget_script() -> WidgetScript:
    source = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    if TEXT_MARK not in source:
        raise RuntimeError("web/static/widget.js lost the place its text goes")
    text = json.dumps(widget_text(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    plain = source.replace(TEXT_MARK, text, 1).encode("utf-8")
    return WidgetScript(
        plain=plain,
        gzipped=gzip.compress(plain, compresslevel=9, mtime=0),
        version=hashlib.sha256(plain).hexdigest()[:16],
    )


def widget_url(base: str) -> str:
    """The script's versioned URL on the hub at ``base``."""
    return f"{base}/widget.js?v={widget_script().version}"


def _accepts_gzip(request: Request) -> bool:
    return any(
        part.split(";")[0].strip() == "gzip" and not part.replace(" ", "").endswith(";q=0")
        for part in request.headers.get("accept-encoding", "").lower().split(",")
    )


@get("/widget.js", exclude_from_auth=True, include_in_schema=False, name="widget-script")
async def widget_js(request: Request) -> Response[bytes]:
    """Public: any page of an allowed site loads it (whether it may chat is the hub's API's call)."""
    script = widget_script()
    versioned = request.query_params.get("v") == script.version
    headers = {
        "ETag": script.etag,
        "Cache-Control": IMMUTABLE if versioned else REVALIDATE,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        # A host page that isolates itself (Cross-Origin-Embedder-Policy) may still load it.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if script.etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=304, headers=headers)
    body = script.plain
    if _accepts_gzip(request):
        body = script.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


class ChannelId(msgspec.Struct, frozen=True):
    id: uuid.UUID


def demo_chat_channels() -> Wanted[ChannelId]:
    """The demo's web-chat channel (none or one), to read with other lists."""
    return Wanted(
        sa.select(Channel.id).where(
            Channel.kind == ChannelKind.WEBCHAT, Channel.name == DEMO_WEBCHAT_NAME, Channel.is_active
        ),
        ChannelId,
    )


async def demo_chat_channel(db: AsyncSession) -> uuid.UUID | None:
    """The demo's web-chat channel, when the demo data is loaded and the channel is active."""
    found: uuid.UUID | None = await db.scalar(demo_chat_channels().query)
    return found


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@get("/widget/demo", exclude_from_auth=True, name="widget-demo")
async def widget_demo(request: Request, db: NamedDependency[AsyncSession]) -> Template:
    """Public, like the shop page it stands for: anyone can try the chat with the demo's agents."""
    channel_id = await demo_chat_channel(db)
    if channel_id is None:
        raise NotFoundException()
    base = _base(request)
    return render(
        request,
        "widget_demo.html",
        channel_id=channel_id,
        embed=f'<script src="{base}/widget.js" data-channel="{channel_id}" async></script>',
        script_src=f"{base}/widget.js",
    )
