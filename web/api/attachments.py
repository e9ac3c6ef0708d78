"""Attachment downloads, with headers that keep a hostile file from acting on our origin.

Files come from customers, so the browser is told to save, never render: ``attachment``
disposition, ``nosniff``, and a ``sandbox`` CSP in case something renders it anyway (a file
opened in a tab then has no script and no origin). ``private`` keeps shared caches out.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from hub.tickets import attachments
from web.auth.guards import BEARER, any_user
from web.auth.identity import CurrentUser

_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\"]')
FALLBACK_TYPE = "application/octet-stream"


def content_disposition(filename: str) -> str:
    """RFC 6266 / RFC 5987: UTF-8 percent-encoded, so 合同.pdf survives and nothing can break out."""
    cleaned = _UNSAFE_NAME.sub("_", filename).strip() or "attachment"
    return "attachment; filename*=UTF-8''" + quote(cleaned, safe="")


def media_type(declared: str) -> str:
    """The stored type when it is a plain ``type/subtype``; anything odd becomes octet-stream."""
    value = declared.split(";", 1)[0].strip().lower()
    return value if _MEDIA_TYPE.match(value) else FALLBACK_TYPE


@get("/api/v1/attachments/{attachment_id:uuid}", guards=[any_user], tags=["attachments"], security=BEARER)
async def download_attachment(
    request: Request,
    hub: NamedDependency[Hub],
    db: NamedDependency[AsyncSession],
    attachment_id: FromPath[uuid.UUID],
) -> Response[bytes]:
    """The file's bytes. Partners only reach files on their organization's tickets, never on notes."""
    user: CurrentUser = request.user
    found = await attachments.download(db, hub.storage, user.actor, attachment_id)
    return Response(
        found.data,
        media_type=media_type(found.content_type),
        headers={
            "Content-Disposition": content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private",
        },
    )
