"""An e-mail's HTML, shown inert: its own document in a sandboxed frame of the ticket page.

The HTML was sanitised by nh3 when it was stored (:mod:`hub.html`); this is the second and third
wall. The frame has ``sandbox`` without ``allow-scripts`` (nothing in it runs, and it cannot reach
the page), and the document comes with its own Content-Security-Policy: no script, no form, no
plugin, styles only inline, and images only from the hub (the message's ``cid:`` pictures) until
the agent allows remote images for this one message (``?images=remote``): a remote image tells
the sender when and where the mail was read, so it is never loaded on its own.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated

import msgspec
import sqlalchemy as sa
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from hub import scope
from hub.errors import NotFound
from hub.models import Attachment, Message
from web.auth.guards import any_user
from web.pages.inline_images import inline_images

#: ``src="http…"`` or ``src="//…"``: what the sanitised HTML loads from elsewhere.
_REMOTE = re.compile(r"""\b(?:src|background)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)

_BASE_POLICY = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "font-src data:",
    "form-action 'none'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'self'",
    "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox",
]
_STYLE = "body{margin:0;font:14px/1.5 system-ui,sans-serif;overflow-wrap:anywhere;color:#1f2328}img{max-width:100%}"


def policy(remote_images: bool) -> str:
    images = "img-src 'self' data: https: http:" if remote_images else "img-src 'self' data:"
    return "; ".join([*_BASE_POLICY, images])


def has_remote_images(html: str) -> bool:
    return bool(_REMOTE.search(html))


@get("/messages/{message_id:uuid}/html", guards=[any_user], name="message-html")
async def message_html(
    request: Request,
    db: NamedDependency[AsyncSession],
    message_id: FromPath[uuid.UUID],
    images: FromQuery[Annotated[str, msgspec.Meta(pattern="^(none|remote)$")]] = "none",
) -> Response[str]:
    """The message's HTML as a document of its own, for the ticket page's sandboxed frame."""
    message = await scope.one(db, request.user.actor, Message, message_id)
    if message is None or not message.html:
        raise NotFound(what="message")
    files = await db.scalars(sa.select(Attachment).where(Attachment.message_id == message.id))
    body = inline_images(message.html, list(files))
    document = Markup(
        '<!doctype html><html><head><meta charset="utf-8"><base target="_blank">'
        "<style>{style}</style></head><body>{body}</body></html>"
    ).format(style=Markup(_STYLE), body=body)  # noqa: S704 - a constant, and HTML sanitised when stored
    return Response(
        str(document),
        media_type="text/html",
        headers={
            "Content-Security-Policy": policy(images == "remote"),
            "X-Frame-Options": "SAMEORIGIN",
            "Referrer-Policy": "no-referrer",
        },
    )


__all__ = ["has_remote_images", "message_html", "policy"]
