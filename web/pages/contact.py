"""One person across every channel: the contact page (staff only; partners never reach it).

Their identities (e-mail, WeChat, phone, web chat), their organisation with its account manager
and backup, every ticket they have on any channel, the requirements recorded on those tickets,
and merging a duplicate into them. Candidates for a merge are found by the server
(``?merge_q=``) and the merge itself is the API's (``POST /api/v1/contacts/merge``, audited).
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import directory
from hub.contacts import views as contact_views
from web.auth.guards import staff
from web.auth.identity import CurrentUser
from web.pages.context import render

#: Merge candidates shown for a search.
CANDIDATES = 10


@get("/contacts/{contact_id:uuid}", guards=[staff], name="contact")
async def contact_page(
    request: Request,
    db: NamedDependency[AsyncSession],
    contact_id: FromPath[uuid.UUID],
    merge_q: FromQuery[Annotated[str, msgspec.Meta(max_length=200)] | None] = None,
) -> Template:
    user: CurrentUser = request.user
    card = await contact_views.contact_card(db, user.actor, contact_id)
    contact = card.contact
    organizations = await directory.organizations_by_id(db, user.actor, {contact.organization_id})
    organization = organizations.get(contact.organization_id) if contact.organization_id else None
    people = {p.id: p for p in await directory.list_users(db, user.actor)}
    candidates: list[contact_views.ContactCard] = []
    if merge_q and merge_q.strip():
        found = await contact_views.search_contacts(
            db, user.actor, contact_views.ContactFilter(q=merge_q.strip()), cursor=None, limit=CANDIDATES + 1
        )
        candidates = [c for c in found.items if c.contact.id != contact.id][:CANDIDATES]
    return render(
        request,
        "contact.html",
        contact=contact,
        identities=card.identities,
        tickets=card.tickets,
        organization=organization,
        people=people,
        requirements=await contact_views.requirements_of(db, user.actor, contact.id),
        merge_q=merge_q or "",
        candidates=candidates,
    )
