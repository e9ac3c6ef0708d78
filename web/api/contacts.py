"""Contacts (staff only): search, one contact with its identities and tickets, and merging duplicates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from hub.contacts import avatars, contacts, views
from hub.core import Hub
from hub.models import ContactIdentity, Ticket
from web.api.attachments import FALLBACK_TYPE
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser


class IdentityOut(msgspec.Struct):
    kind: str
    value: str

    @classmethod
    def of(cls, row: ContactIdentity) -> IdentityOut:
        return cls(kind=row.kind.value, value=row.value)


class ContactTicketOut(msgspec.Struct):
    id: uuid.UUID
    number: int
    subject: str
    status: str
    channel: str

    @classmethod
    def of(cls, row: Ticket) -> ContactTicketOut:
        return cls(
            id=row.id,
            number=row.number,
            subject=row.subject,
            status=row.status.value,
            channel=row.channel_kind.value,
        )


class ContactItem(msgspec.Struct):
    id: uuid.UUID
    name: str
    organization_id: uuid.UUID | None
    locale: str | None
    merged_into_id: uuid.UUID | None
    identities: list[IdentityOut]
    created_at: datetime


class ContactOut(ContactItem, kw_only=True):
    tickets: list[ContactTicketOut]


def _item(card: views.ContactCard) -> ContactItem:
    c = card.contact
    return ContactItem(
        id=c.id,
        name=c.name,
        organization_id=c.organization_id,
        locale=c.locale,
        merged_into_id=c.merged_into_id,
        identities=[IdentityOut.of(i) for i in card.identities],
        created_at=c.created_at,
    )


def _full(card: views.ContactCard) -> ContactOut:
    return ContactOut(
        **msgspec.structs.asdict(_item(card)), tickets=[ContactTicketOut.of(t) for t in card.tickets]
    )


class ContactPageOut(msgspec.Struct):
    items: list[ContactItem]
    next_cursor: str | None


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    source_id: uuid.UUID
    target_id: uuid.UUID


#: Raster formats a browser shows without running anything; a picture of another type is a download.
PICTURE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
#: The page's URL carries the picture's digest, so a changed picture is a new URL.
PICTURE_CACHE = "private, max-age=86400"


class ContactController(Controller):
    path = "/api/v1/contacts"
    security = BEARER
    tags = ["contacts"]
    guards = [staff]

    @get("/")
    async def search(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        q: Annotated[
            str | None, QueryParameter(description="Part of a name, e-mail, phone or other identity")
        ] = None,
        organization: FromQuery[uuid.UUID | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=views.MAX_PAGE)] = 50,
    ) -> ContactPageOut:
        user: CurrentUser = request.user
        page = await views.search_contacts(
            db, user.actor, views.ContactFilter(q=q, organization_id=organization), cursor=cursor, limit=limit
        )
        return ContactPageOut(items=[_item(card) for card in page.items], next_cursor=page.next_cursor)

    @get("/{contact_id:uuid}")
    async def read(
        self, request: Request, db: NamedDependency[AsyncSession], contact_id: FromPath[uuid.UUID]
    ) -> ContactOut:
        user: CurrentUser = request.user
        return _full(await views.contact_card(db, user.actor, contact_id))

    @get("/{contact_id:uuid}/avatar")
    async def avatar(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        contact_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The contact's picture as its channel showed it (a WeChat follower's), from our store."""
        user: CurrentUser = request.user
        picture = await avatars.avatar(db, hub.storage, user.actor, contact_id)
        kind = picture.content_type if picture.content_type in PICTURE_TYPES else FALLBACK_TYPE
        return Response(
            picture.data,
            media_type=kind,
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox",
                "Cache-Control": PICTURE_CACHE,
                "ETag": f'"{picture.sha256}"',
            },
        )

    @post("/merge", status_code=HTTP_200_OK)
    async def merge(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        data: JSONBody[MergeIn],
    ) -> ContactOut:
        """Move the source's identities and tickets to the target, which is returned; audited."""
        user: CurrentUser = request.user
        target = await contacts.merge_contacts(
            hub, user.actor, source_id=data.source_id, target_id=data.target_id
        )
        return _full(await views.contact_card(db, user.actor, target.id))
