"""E-mail HTML points at its own inline images as ``cid:`` URLs (RFC 2392); browsers cannot load those.

The images are stored as attachments of the message with their Content-ID, so at display time each
``src="cid:…"`` becomes the attachment's download URL, which the page's ``img-src 'self'`` allows.
The HTML was sanitised when it was stored (:mod:`hub.html`) and attributes come out double-quoted,
so only that one shape needs rewriting; a ``cid:`` with no stored image is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import unquote
from uuid import UUID

from markupsafe import Markup

_CID_SRC = re.compile(r'src="cid:([^"]+)"', re.IGNORECASE)


class InlineFile(Protocol):
    id: UUID
    content_id: str | None


def _key(content_id: str) -> str:
    """Content-IDs compare without angle brackets, URL escapes or case."""
    return unquote(content_id).strip().strip("<>").lower()


def inline_images(html: str, files: Iterable[InlineFile]) -> Markup:
    """The stored (already sanitised) HTML with its ``cid:`` images pointing at our downloads."""
    by_cid = {_key(f.content_id): f.id for f in files if f.content_id}
    if not by_cid or "cid:" not in html.lower():
        return Markup(html)  # noqa: S704 - sanitised by hub.html when stored

    def replace(match: re.Match[str]) -> str:
        found = by_cid.get(_key(match.group(1)))
        return f'src="/api/v1/attachments/{found}"' if found else match.group(0)

    return Markup(_CID_SRC.sub(replace, html))  # noqa: S704 - sanitised when stored; ids are UUIDs
