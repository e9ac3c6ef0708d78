"""A call logged by hand (an agent's mobile, a line without a PBX): the ticket page's form and
``POST /api/v1/tickets/{id}/calls`` give what the agent knows, and it becomes the same ``call``
message a PBX's log makes (:func:`channels.phone.calls.call_meta`), measured at its own time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import msgspec

from channels.phone import numbers
from channels.phone.calls import call_meta
from channels.phone.lines import DEFAULT_REGION, Agent
from channels.phone.records import Disposition
from hub.actors import Actor
from hub.core import Hub
from hub.domain import ChannelKind, Direction
from hub.errors import InvalidInput
from hub.models import Channel, Message
from hub.tickets import tickets

#: A day: longer than any call, short enough to catch a duration typed in the wrong unit.
LONGEST_CALL = 24 * 3600


class CallLogIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    direction: Literal["inbound", "outbound"]
    #: The client's number, as the agent writes it (kept as given, and flagged, when unreadable).
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    started_at: datetime
    duration_seconds: Annotated[int, msgspec.Meta(ge=0, le=LONGEST_CALL)] = 0
    outcome: Disposition = Disposition.answered
    notes: Annotated[str, msgspec.Meta(max_length=10_000)] = ""


async def log_call(hub: Hub, actor: Actor, ticket_id: uuid.UUID, given: CallLogIn) -> Message:
    if given.started_at.tzinfo is None:
        raise InvalidInput(detail="started_at needs its time zone (e.g. +08:00)")
    async with hub.uow() as uow:
        ticket = await tickets.load_for(uow.session, actor, ticket_id)
        channel = await uow.session.get(Channel, ticket.channel_id)
    region = DEFAULT_REGION
    ours = numbers.Number("", None)
    if channel is not None and channel.kind is ChannelKind.PHONE:
        region = str(channel.config.get("region") or DEFAULT_REGION)
        line_numbers = channel.config.get("numbers") or []
        if line_numbers:
            ours = numbers.read(str(line_numbers[0]), region)
    client = numbers.read(given.number, region)
    answered = given.outcome is Disposition.answered
    started = given.started_at.astimezone(UTC)
    agent = Agent(actor.user_id, "", actor.name or "", "") if actor.user_id is not None else None
    inbound = given.direction == "inbound"
    meta = call_meta(
        direction=given.direction,
        caller=client if inbound else ours,
        callee=ours if inbound else client,
        caller_name=None,
        agent=agent,
        extension=None,
        queue=None,
        started_at=started,
        answered_at=started if answered else None,
        ended_at=started + timedelta(seconds=given.duration_seconds),
        disposition=given.outcome,
        recording_url=None,
        notes=given.notes or None,
        logged_by_hand=True,
    )
    call = tickets.LoggedCall(
        direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
        started_at=started,
        answered=answered,
        notes=given.notes,
        meta=meta,
    )
    return await tickets.log_call(hub, actor, ticket_id, call)
