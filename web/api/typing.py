"""``POST /api/v1/tickets/{id}/typing``: the agent is typing a reply (or stopped).

The ticket's channel tells the person on the other side when it can (web chat's visitor sees
"typing…"); on other channels nothing happens. The ticket page's composer calls it while the agent
types; the channel throttles what goes out.
"""

from __future__ import annotations

import uuid

import msgspec
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.tickets.tickets import load_for
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser
from web.runtime import Runtime


class TypingIn(msgspec.Struct, forbid_unknown_fields=True):
    typing: bool


@post(
    "/api/v1/tickets/{ticket_id:uuid}/typing",
    guards=[staff],
    tags=["tickets"],
    security=BEARER,
    status_code=204,
)
async def ticket_typing(
    request: Request,
    db: NamedDependency[AsyncSession],
    ticket_id: FromPath[uuid.UUID],
    data: JSONBody[TypingIn],
) -> None:
    """Tell the client the agent is typing, on channels that show it (web chat)."""
    user: CurrentUser = request.user
    ticket = await load_for(db, user.actor, ticket_id)
    runtime: Runtime = request.app.state.runtime
    typing = runtime.channels.connection(ticket.channel_kind.value).typing
    if typing is not None:
        await typing(runtime.hub, ticket.id, data.typing, user.name)
