"""``POST /api/v1/tickets/{id}/presence``: who else has the ticket open, and who is writing.

Presence is a few seconds of truth, so it lives in Redis, never in the database: one hash per
ticket, one field per person with their state and when they last said so. The page says
``viewing`` when it opens the ticket, ``replying`` or ``noting`` while its agent writes, again every
15 seconds while it stays open, and ``gone`` when it closes; a person not heard from for
:data:`STALE` seconds is no longer shown. Each change is published to staff as ``ticket.presence``
with everyone present, so every open copy of the ticket shows the others at once.
Writing a note is shown to colleagues only: nothing of it reaches the client's channel.
"""

from __future__ import annotations

import time
import uuid
from typing import Literal

import msgspec
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub import realtime
from hub.ports import RealtimeEvent
from hub.tickets.tickets import load_for
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser
from web.runtime import Runtime

#: Seconds after which someone who stopped saying they are here is taken as gone (the page says
#: so every 15 s; a tab put to sleep or a lost connection stops).
STALE = 40


class PresenceIn(msgspec.Struct, forbid_unknown_fields=True):
    state: Literal["viewing", "replying", "noting", "gone"]


class PresentOut(msgspec.Struct):
    user_id: uuid.UUID
    name: str
    #: ``viewing``, ``replying`` or ``noting``.
    state: str


class _Entry(msgspec.Struct):
    name: str
    state: str
    at: float


def _key(ticket_id: uuid.UUID) -> str:
    return f"hub:presence:{ticket_id}"


@post(
    "/api/v1/tickets/{ticket_id:uuid}/presence",
    guards=[staff],
    tags=["tickets"],
    security=BEARER,
    status_code=200,
)
async def ticket_presence(
    request: Request,
    db: NamedDependency[AsyncSession],
    ticket_id: FromPath[uuid.UUID],
    data: JSONBody[PresenceIn],
) -> list[PresentOut]:
    """Say you are viewing, replying to or writing a note on the ticket (or gone); answers with
    everyone present, you included."""
    user: CurrentUser = request.user
    ticket = await load_for(db, user.actor, ticket_id)
    runtime: Runtime = request.app.state.runtime
    key, now = _key(ticket.id), time.time()
    async with runtime.redis.pipeline(transaction=True) as pipe:
        if data.state == "gone":
            pipe.hdel(key, str(user.id))
        else:
            pipe.hset(key, str(user.id), msgspec.json.encode(_Entry(user.name, data.state, now)))
        pipe.expire(key, STALE * 3)
        pipe.hgetall(key)
        *_, stored = await pipe.execute()
    present: list[PresentOut] = []
    stale: list[str] = []
    for field, value in stored.items():
        person = field.decode() if isinstance(field, bytes) else str(field)
        entry = msgspec.json.decode(value, type=_Entry)
        if now - entry.at > STALE:
            stale.append(person)
        else:
            present.append(PresentOut(uuid.UUID(person), entry.name, entry.state))
    if stale:
        await runtime.redis.hdel(key, *stale)
    present.sort(key=lambda p: p.name)
    await runtime.hub.publisher.publish(
        [
            RealtimeEvent(
                name="ticket.presence",
                channels=(realtime.STAFF,),
                data={"ticket_id": str(ticket.id), "people": msgspec.to_builtins(present)},
            )
        ]
    )
    return present
