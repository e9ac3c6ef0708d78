"""What the portal's use cases share: the partner behind a login, the buyer's calendar, page cursors."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.calendars import names
from hub.calendars import service as calendars
from hub.calendars.model import Calendar
from hub.errors import Forbidden
from hub.models import Organization, Team, User
from hub.tickets.views import BadCursor


def partner_of(actor: Actor) -> uuid.UUID:
    """The organization a partner writes for: always the login's, never a body's."""
    if not actor.is_partner or actor.organization_id is None:
        raise Forbidden()
    return actor.organization_id


async def buyer_calendar(session: AsyncSession, organization: Organization) -> Calendar:
    """The company's working time for this partner's promises: the account manager's team's
    calendar when it has one, else the company's ``cn``. The partner's own calendar is not the
    buyer's: a promise the buyer makes runs in the buyer's hours."""
    name = None
    if organization.account_manager_id is not None:
        name = await session.scalar(
            sa.select(Team.calendar)
            .join(User, User.team_id == Team.id)
            .where(User.id == organization.account_manager_id)
        )
    return await calendars.calendar_in(session, name or names.DEFAULT)


def number(value: Decimal | None) -> float | None:
    """A quantity as JSON shows it: a number, without the column's trailing zeros."""
    return None if value is None else float(value)


def encode_cursor(kind: str, at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{kind}:{at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, rest = raw.split(":", 1)
        at, row_id = rest.split("|", 1)
        when = datetime.fromisoformat(at)
        if prefix != kind or when.tzinfo is None:
            raise ValueError(prefix)
        return when, uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor() from None
