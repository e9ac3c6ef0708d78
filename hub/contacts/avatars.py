"""A contact's picture as a channel showed it (a WeChat follower's ``headimgurl``), from our store.

The channel job copies the picture into the attachment store; pages load it from our origin,
which their CSP allows, instead of from a CDN that refuses hot-linking. Only staff see a
contact's picture, as only staff see the contact. When a person is known on several accounts
(joined by a WeChat unionid), the most recently fetched picture is theirs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.errors import NotFound
from hub.models import ContactIdentity
from hub.ports import AttachmentStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Avatar:
    sha256: str
    content_type: str
    data: bytes


def avatar_of(identities: Iterable[ContactIdentity]) -> dict[str, Any] | None:
    """The newest stored picture among these identities' profiles (``sha256``, ``content_type``)."""
    pictures = [
        (float(row.profile.get("fetched_at") or 0), row.profile["avatar"])
        for row in identities
        if isinstance(row.profile.get("avatar"), dict) and row.profile["avatar"].get("sha256")
    ]
    return max(pictures, key=lambda picture: picture[0])[1] if pictures else None


async def avatar(
    session: AsyncSession, store: AttachmentStore, actor: Actor, contact_id: uuid.UUID
) -> Avatar:
    permissions.require_staff(actor)
    identities = await session.scalars(
        scope.select(actor, ContactIdentity).where(ContactIdentity.contact_id == contact_id)
    )
    found = avatar_of(identities)
    if found is None:
        raise NotFound(what="avatar")
    try:
        data = await asyncio.to_thread(store.get, str(found["sha256"]))
    except (FileNotFoundError, ValueError):
        log.error("contact %s: avatar %s is missing from the store", contact_id, found["sha256"])
        raise NotFound(what="avatar") from None
    return Avatar(sha256=str(found["sha256"]), content_type=str(found.get("content_type") or ""), data=data)
