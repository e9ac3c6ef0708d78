"""One call record becomes one ``call`` message on the client's ticket, by the line's rules.

Direction, when the log does not say: a call from a mapped extension is the agent's (outbound);
a call to one of the line's numbers or to an extension is the client's (inbound); a call between
two extensions is internal: kept in the line's log, it opens no ticket. A log that says
``inbound`` or ``outbound`` itself (the webhook, FreeSWITCH) is believed, except for internal calls.

On the ticket, every call is measured at its own times (``at_sent_time``):

* an inbound call picked up was answered on the phone: the response happened at ``answered_at``;
* an inbound call nobody picked up (no answer, busy, abandoned, voicemail, failed) is the client
  waiting for a **callback**: the phone's response target (3 business minutes) runs from its start;
* an outbound call the client picked up is the agent's response (a callback meets the clock);
  one nobody picked up is kept as the agent's attempt and answers nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from channels.phone import numbers
from channels.phone.lines import Agent, Line
from channels.phone.records import CallRecord, Disposition
from hub.intake.inbound import InboundMessage, Sender

CALL = "call"


class CallProblem(ValueError):
    """A call the rules cannot place on a ticket; the reason says why (and what to do)."""


def _seconds(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds()))


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def direction_of(record: CallRecord, line: Line, caller: numbers.Number, callee: numbers.Number) -> str:
    """``inbound``, ``outbound`` or ``internal``, by the rules of the module's docstring."""
    if line.is_extension(caller) and line.is_extension(callee):
        return "internal"
    if record.direction in ("inbound", "outbound"):
        return record.direction
    if line.agent(caller.given) is not None:
        return "outbound"
    return "inbound"


def to_message(record: CallRecord, line: Line) -> tuple[InboundMessage, bool]:
    """The call's message, and whether it is internal (to be kept in the log, with no ticket)."""
    if record.ended_at < record.started_at:
        raise CallProblem("the call ends before it starts")
    if record.answered_at is not None and not record.started_at <= record.answered_at <= record.ended_at:
        raise CallProblem("the call is answered outside its start and end")
    caller, callee = numbers.read(record.caller, line.region), numbers.read(record.callee, line.region)
    direction = direction_of(record, line, caller, callee)
    client, ours = (callee, caller) if direction == "outbound" else (caller, callee)
    agent = line.agent(record.agent_extension) or line.agent(ours.given)
    extension = record.agent_extension or (ours.given if line.is_extension(ours) else None)
    answered = record.disposition is Disposition.answered
    if direction == "outbound" and agent is None:
        extension = record.agent_extension or ours.given
        raise CallProblem(
            f"an outbound call from extension {extension!r}, which is mapped to no user: "
            f"map it with `hub phone extension {line.channel_id} {extension} USER_EMAIL` and import again"
        )
    if not client.given:
        raise CallProblem("the call has no client number")
    meta = call_meta(
        direction=direction,
        caller=caller,
        callee=callee,
        caller_name=record.caller_name,
        agent=agent,
        extension=extension,
        queue=record.queue,
        started_at=record.started_at,
        answered_at=record.answered_at,
        ended_at=record.ended_at,
        disposition=record.disposition,
        recording_url=record.recording_url,
        legs=record.legs,
    )
    fields: dict[str, Any] = {}
    if direction == "outbound":
        assert agent is not None
        fields.update(direction="outbound", author_user_id=agent.user_id, reached=answered)
    elif direction == "inbound" and answered:
        fields.update(
            answered_at=record.answered_at or record.started_at,
            answered_by_user_id=agent.user_id if agent else None,
        )
    message = InboundMessage(
        channel_id=line.channel_id,
        external_id=record.call_id,
        sender=Sender(identity=client.value, name=record.caller_name if direction == "inbound" else None),
        subject=f"电话 {client.value}",
        type=CALL,
        sent_at=record.started_at,
        at_sent_time=True,
        meta={CALL: meta},
        **fields,
    )
    return message, direction == "internal"


def call_meta(
    *,
    direction: str,
    caller: numbers.Number,
    callee: numbers.Number,
    caller_name: str | None,
    agent: Agent | None,
    extension: str | None,
    queue: str | None,
    started_at: datetime,
    answered_at: datetime | None,
    ended_at: datetime,
    disposition: Disposition,
    recording_url: str | None,
    legs: int = 1,
    notes: str | None = None,
    logged_by_hand: bool = False,
) -> dict[str, Any]:
    """The call as the ticket page shows it (``meta["call"]`` of the message), whichever way it came."""
    wait_until = answered_at if answered_at is not None else ended_at
    return {
        "direction": direction,
        "caller": caller.value,
        "callee": callee.value,
        "caller_name": caller_name,
        #: Numbers no one could read as phone numbers, kept as given.
        "unreadable": [n.given for n in (caller, callee) if n.flagged and n.given],
        #: Who took or placed it: the mapped user (named as they were then), or only the extension.
        "agent": (
            {"user_id": str(agent.user_id), "extension": agent.extension, "name": agent.name}
            if agent is not None
            else {"user_id": None, "extension": extension, "name": None}
            if extension
            else None
        ),
        "queue": queue,
        "started_at": _iso(started_at),
        "answered_at": _iso(answered_at),
        "ended_at": _iso(ended_at),
        "wait_seconds": _seconds(wait_until - started_at),
        "talk_seconds": _seconds(ended_at - answered_at) if answered_at is not None else 0,
        "disposition": disposition.value,
        "recording_url": recording_url,
        "legs": legs,
        #: A client's call nobody picked up: the team owes them a callback.
        "callback": direction == "inbound" and disposition is not Disposition.answered,
        "notes": notes,
        "logged_by_hand": logged_by_hand,
    }
