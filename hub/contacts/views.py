"""Finding contacts (staff only) and one contact with its identities and tickets.

Search is a case-insensitive substring match (ILIKE) on the contact's name and on its identity
values, not the tokenised full-text search tickets use. Why: people look contacts up by
fragments of an address or a number (``zhang@``, ``138 0013``, part of an openid), which a word
index cannot find, while a substring match finds Chinese names (张伟, 伟) as naturally as Latin
ones, with no tokeniser. The price is a scan of the contacts and identities tables (no pg_trgm
index: the hub installs no PostgreSQL extension, so any PostgreSQL serves it, the embedded one
included); if that table grows past what a scan answers quickly, give contacts a search column
like tickets have. Merged contacts are hidden: their identities and tickets live on in
the contact they were merged into.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions, scope
from hub.actors import Actor
from hub.errors import NotFound
from hub.models import Contact, ContactIdentity, Requirement, Ticket
from hub.tickets.views import BadCursor

MAX_PAGE = 200
#: The contact page shows the most recent tickets; the ticket list filters by contact for the rest.
MAX_TICKETS = 100
_PHONE_PUNCTUATION = re.compile(r"[\s()+.-]")


@dataclass(frozen=True)
class ContactFilter:
    q: str | None = None
    organization_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ContactCard:
    contact: Contact
    identities: list[ContactIdentity]
    tickets: list[Ticket]


@dataclass(frozen=True)
class ContactPage:
    items: list[ContactCard]
    next_cursor: str | None


def encode_cursor(contact: Contact) -> str:
    raw = f"c:{contact.created_at.isoformat()}|{contact.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, rest = raw.split(":", 1)
        at, contact_id = rest.split("|", 1)
        if prefix != "c":
            raise ValueError(prefix)
        when = datetime.fromisoformat(at)
        # Only what encode_cursor writes: an aware instant (a naive one compares in the server's zone).
        if when.tzinfo is None:
            raise ValueError(at)
        return when, uuid.UUID(contact_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor() from None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(q: str) -> sa.ColumnElement[bool]:
    """Name or any identity contains the text; a phone-like query also matches without its spacing."""
    text = " ".join(unicodedata.normalize("NFKC", q).split())
    patterns = {_like(text)}
    digits = _PHONE_PUNCTUATION.sub("", text)
    if digits.isdigit() and len(digits) >= 3:
        patterns.add(_like(digits))
    by_identity = sa.select(ContactIdentity.contact_id).where(
        sa.or_(*(ContactIdentity.value.ilike(p, escape="\\") for p in patterns))
    )
    return sa.or_(Contact.name.ilike(_like(text), escape="\\"), Contact.id.in_(by_identity))


async def search_contacts(
    session: AsyncSession, actor: Actor, f: ContactFilter, *, cursor: str | None, limit: int
) -> ContactPage:
    """Newest first; the cursor is (created_at, id), so pages neither skip nor repeat."""
    permissions.require_staff(actor)
    limit = max(1, min(limit, MAX_PAGE))
    query = scope.select(actor, Contact).where(Contact.merged_into_id.is_(None))
    if f.organization_id is not None:
        query = query.where(Contact.organization_id == f.organization_id)
    if f.q and f.q.strip():
        query = query.where(_matches(f.q))
    if cursor:
        at, contact_id = decode_cursor(cursor)
        query = query.where(sa.tuple_(Contact.created_at, Contact.id) < sa.tuple_(at, contact_id))
    query = query.order_by(Contact.created_at.desc(), Contact.id.desc()).limit(limit + 1)
    rows = list(await session.scalars(query))
    page = rows[:limit]
    identities = await _identities(session, [c.id for c in page])
    return ContactPage(
        items=[ContactCard(c, identities.get(c.id, []), []) for c in page],
        next_cursor=encode_cursor(page[-1]) if len(rows) > limit else None,
    )


async def _identities(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ContactIdentity]]:
    found: dict[uuid.UUID, list[ContactIdentity]] = {}
    if ids:
        rows = await session.scalars(
            sa.select(ContactIdentity)
            .where(ContactIdentity.contact_id.in_(ids))
            .order_by(ContactIdentity.created_at, ContactIdentity.id)
        )
        for row in rows:
            found.setdefault(row.contact_id, []).append(row)
    return found


async def contact_card(session: AsyncSession, actor: Actor, contact_id: uuid.UUID) -> ContactCard:
    """One contact, its identities and its most recent tickets (a merged one keeps only its pointer)."""
    permissions.require_staff(actor)
    contact = await scope.one(session, actor, Contact, contact_id)
    if contact is None:
        raise NotFound(what="contact")
    identities = await _identities(session, [contact.id])
    tickets = await session.scalars(
        scope.select(actor, Ticket)
        .where(Ticket.contact_id == contact.id)
        .order_by(Ticket.number.desc())
        .limit(MAX_TICKETS)
    )
    return ContactCard(contact, identities.get(contact.id, []), list(tickets))


async def requirements_of(
    session: AsyncSession, actor: Actor, contact_id: uuid.UUID
) -> list[tuple[Requirement, Ticket]]:
    """The client requirements recorded on any of the contact's tickets, newest first, each with
    its ticket (the contact page lists them beside the tickets)."""
    permissions.require_staff(actor)
    rows = await session.execute(
        scope.restrict(
            sa.select(Requirement, Ticket).join(Ticket, Ticket.id == Requirement.ticket_id), actor, Ticket
        )
        .where(Ticket.contact_id == contact_id)
        .order_by(Requirement.created_at.desc())
        .limit(MAX_TICKETS)
    )
    return [(requirement, ticket) for requirement, ticket in rows]
