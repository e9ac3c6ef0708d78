"""Appending to a ticket's typed event log, the source every SLA clock and metric is derived from."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.domain import TicketEventKind
from hub.models import TicketEvent


def append(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    kind: TicketEventKind,
    *,
    at: datetime,
    actor_user_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
    **data: Any,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            kind=kind,
            at=at,
            actor_user_id=actor_user_id,
            message_id=message_id,
            data={key: jsonable(value) for key, value in data.items()},
        )
    )


#: Values stored in an event's data as their text.
_AS_TEXT = (uuid.UUID, datetime)
#: Values stored as they are (checked first: most of an event's data, by the million in an import).
_PLAIN = frozenset({str, int, bool, type(None)})


def jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, _AS_TEXT):
        return str(value)
    if hasattr(value, "value"):
        return value.value
    return value
