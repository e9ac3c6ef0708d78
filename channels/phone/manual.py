"""A call logged by hand (an agent's mobile, a line without a PBX): the ticket page's form and
``POST /api/v1/tickets/{id}/calls`` give what the agent knows, and it becomes the same ``call``
message a PBX's log makes (:func:`channels.phone.calls.call_meta`), measured at its own time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec

from channels.phone import numbers
from channels.phone.calls import CALL, call_meta
from channels.phone.lines import DEFAULT_REGION, Agent
from channels.phone.records import Disposition
from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.domain import ChannelKind, Direction
from hub.errors import InvalidInput, NotFound
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.models import Channel, Message
from hub.tickets import opening, tickets

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
    _check(given)
    async with hub.uow() as uow:
        ticket = await tickets.load_for(uow.session, actor, ticket_id)
        channel = await uow.session.get(Channel, ticket.channel_id)
    call = _call(channel, actor, given)
    return await tickets.log_call(
        hub,
        actor,
        ticket_id,
        tickets.LoggedCall(
            direction=Direction.INBOUND if call.inbound else Direction.OUTBOUND,
            started_at=call.started,
            answered=call.answered,
            notes=given.notes,
            meta=call.meta,
        ),
    )


async def open_ticket(
    hub: Hub, actor: Actor, channel_id: uuid.UUID, given: CallLogIn, *, key: str, name: str | None = None
) -> IngestResult:
    """A new ticket from a call the agent had on a phone line (from the inbox's "new ticket"):
    the same ``call`` message a PBX's log makes, through the funnel, keyed by the caller's ``key``
    (a retried request opens it once)."""
    permissions.require_staff(actor)
    _check(given)
    async with hub.uow() as uow:
        channel = await uow.session.get(Channel, channel_id)
    if channel is None:
        raise NotFound(what="channel")
    if channel.kind is not ChannelKind.PHONE:
        raise InvalidInput(detail="a call log needs a phone channel")
    call = _call(channel, actor, given)
    fields: dict[str, Any] = {}
    if not call.inbound:
        fields.update(direction="outbound", author_user_id=actor.user_id, reached=call.answered)
    elif call.answered:
        fields.update(answered_at=call.started, answered_by_user_id=actor.user_id)
    return await ingest.ingest(
        hub,
        InboundMessage(
            channel_id=channel.id,
            external_id=opening.external_id(actor, key),
            sender=Sender(identity=call.client.value, name=(name or "").strip() or None),
            subject=f"电话 {call.client.value}",
            text=given.notes,
            type=CALL,
            sent_at=call.started,
            at_sent_time=True,
            thread_ref=opening.external_id(actor, key),
            meta={CALL: call.meta},
            **fields,
        ),
    )


def _check(given: CallLogIn) -> None:
    if given.started_at.tzinfo is None:
        raise InvalidInput(detail="started_at needs its time zone (e.g. +08:00)")


@dataclass(frozen=True)
class _Call:
    client: numbers.Number
    started: datetime
    answered: bool
    inbound: bool
    meta: dict[str, Any]


def _call(channel: Channel | None, actor: Actor, given: CallLogIn) -> _Call:
    """What the agent wrote, read with the line's numbers and region (the ticket's own phone line,
    or none when the call was had on a mobile for a ticket of another channel)."""
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
    return _Call(client=client, started=started, answered=answered, inbound=inbound, meta=meta)
