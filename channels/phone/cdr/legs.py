"""One call out of its legs: what every format's reader produces per row, and the one merge.

A PBX logs a call as several legs: Asterisk 12 and later one row per dial attempt and bridge
(a ring group of three phones is three rows or more, a transfer one more), FreeSWITCH one record
per channel (the caller's a-leg, one b-leg per phone rung). The readers turn each row into a
:class:`Leg` saying what that row alone shows; :func:`merge` decides for the whole call, so the
rules (who answered, when, what a missed call was) are written once for every format.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from channels.phone.records import CallRecord, Disposition

if TYPE_CHECKING:
    from channels.phone.cdr.fields import LocalClock


class CdrError(ValueError):
    """A file or document that cannot be read at all; the message says why, in plain words."""


class Leg(msgspec.Struct, kw_only=True, gc=False):
    """What one row of a log shows about its call. Only plain values: never tracked by the cyclic
    garbage collector, which a log of 100,000 rows would otherwise make walk them again and again."""

    line: int
    #: Which of the files read together this row is in (their position).
    source: int = 0
    #: The key shared by the legs of one call (Asterisk ``linkedid``, FreeSWITCH's a-leg uuid).
    group: str
    #: Order within the call (Asterisk ``sequence``; 0 for a FreeSWITCH a-leg, 1 for its b-legs).
    sequence: int = 0
    caller: str
    callee: str
    caller_name: str | None = None
    direction: str | None = None
    #: The extension that placed the call, when this row shows the call came from one.
    placed_by: str | None = None
    #: Whether a person (a phone, an agent) answered on this leg, not an IVR, a queue's music or
    #: a voicemail box.
    person_answered: bool = False
    #: Who answered on this leg, and whether the name is the phone itself (``SIP/301-…``) rather
    #: than a hop towards it (``Local/301@…``).
    answered_by: str | None = None
    answered_by_direct: bool = True
    #: This leg's outcome when no person answered on it.
    outcome: Disposition = Disposition.no_answer
    queue: str | None = None
    recording_url: str | None = None
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime


def row_times(
    fields: list[str], columns: Mapping[str, int], clock: LocalClock
) -> tuple[datetime, datetime | None, datetime] | str:
    """A CSV row's start, answer and end (the ``start``, ``answer`` and ``end`` columns), or the
    reason they cannot be one leg's, as every CSV format reports it."""
    try:
        started = clock.read(fields[columns["start"]])
        answered_at = clock.read(fields[columns["answer"]])
        ended = clock.read(fields[columns["end"]])
    except ValueError as error:
        return f"a time that is not a date and time: {error}"
    if started is None:
        return "no start time"
    if ended is None:
        return "no end time"
    return out_of_order(started, answered_at, ended) or (started, answered_at, ended)


def out_of_order(started: datetime, answered: datetime | None, ended: datetime) -> str | None:
    """Why a row's times cannot be one leg's (the reason reported), or None when they can: every
    wait and talk time measured from them is then zero or more."""
    if ended < started:
        return "the call ends before it starts"
    if answered is not None and not started <= answered <= ended:
        return "the answer time is outside the call"
    return None


#: When nobody answered, the outcome that says most about the caller wins: they left a message,
#: else they gave up waiting, else nobody picked up, else every phone was busy, else it failed.
_MISSED_RANK = {
    Disposition.voicemail: 0,
    Disposition.abandoned: 1,
    Disposition.no_answer: 2,
    Disposition.busy: 3,
    Disposition.failed: 4,
    Disposition.answered: 5,
}


def _order(leg: Leg) -> tuple[int, datetime, int]:
    return leg.sequence, leg.started_at, leg.line


def merge(legs: list[Leg]) -> CallRecord:
    """The call the legs of one group make: the caller and number dialled from the first leg,
    answered if any leg was answered by a person (at the first such answer, by that leg's
    phone), the call's span from the earliest start to the latest end."""
    if len(legs) == 1:
        return _alone(legs[0])
    legs = sorted(legs, key=_order)
    first = legs[0]
    answering = [leg for leg in legs if leg.person_answered]
    agent = first.placed_by
    answered_at: datetime | None = None
    if answering:
        disposition = Disposition.answered
        moments = [leg.answered_at for leg in answering if leg.answered_at is not None]
        answered_at = min(moments) if moments else None
        if agent is None:
            direct = [leg.answered_by for leg in answering if leg.answered_by and leg.answered_by_direct]
            named = direct or [leg.answered_by for leg in answering if leg.answered_by]
            agent = named[0] if named else None
    else:
        disposition = min((leg.outcome for leg in legs), key=_MISSED_RANK.__getitem__)
    recording = next((leg.recording_url for leg in answering if leg.recording_url), None) or next(
        (leg.recording_url for leg in legs if leg.recording_url), None
    )
    return CallRecord(
        call_id=first.group,
        caller=first.caller,
        callee=first.callee,
        caller_name=next((leg.caller_name for leg in legs if leg.caller_name), None),
        direction=first.direction,
        agent_extension=agent,
        queue=next((leg.queue for leg in legs if leg.queue), None),
        started_at=min(leg.started_at for leg in legs),
        answered_at=answered_at,
        ended_at=max(leg.ended_at for leg in legs),
        disposition=disposition,
        recording_url=recording,
        legs=len(legs),
    )


def _alone(leg: Leg) -> CallRecord:
    """A call of one leg (most of them): what :func:`merge` gives, without its loops."""
    person = leg.person_answered
    return CallRecord(
        call_id=leg.group,
        caller=leg.caller,
        callee=leg.callee,
        caller_name=leg.caller_name,
        direction=leg.direction,
        agent_extension=leg.placed_by or (leg.answered_by if person else None),
        queue=leg.queue,
        started_at=leg.started_at,
        answered_at=leg.answered_at if person else None,
        ended_at=leg.ended_at,
        disposition=Disposition.answered if person else leg.outcome,
        recording_url=leg.recording_url,
        legs=1,
    )


def merge_groups(legs: list[Leg]) -> list[tuple[int, CallRecord]]:
    """Legs grouped by their key, one call per group, each with the file its first leg is in."""
    groups: dict[str, list[Leg]] = {}
    for leg in legs:
        group = groups.get(leg.group)
        if group is None:
            groups[leg.group] = [leg]
        else:
            group.append(leg)
    return [(min(group, key=_order).source, merge(group)) for group in groups.values()]
