"""FreeSWITCH ``mod_cdr_csv`` logs, in the templates its sample configuration ships.

Which template wrote a line shows in its shape: ``example`` has 15 columns, ``linksys`` 17,
``snom`` 20 (the recording last), ``asterisk`` 18 in Asterisk's order (with a Q.850 cause where
Asterisk writes ``ANSWERED``), and ``sql`` wraps ``example``'s first 13 in an ``INSERT``
statement. Every value is quoted, an unset time is ``""``, times are local stamps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from channels.phone.cdr.fields import (
    LocalClock,
    caller_name,
    channel_endpoint,
    clid_number,
    looks_like_time,
    recording,
    whole,
)
from channels.phone.cdr.freeswitch_calls import Channel, looks_like_cause, missed
from channels.phone.cdr.legs import Leg, row_times
from channels.phone.records import Disposition, RowProblem

_EXAMPLE = {
    "name": 0,
    "number": 1,
    "destination": 2,
    "start": 4,
    "answer": 5,
    "end": 6,
    "billsec": 8,
    "cause": 9,
    "uuid": 10,
    "bleg": 11,
}
#: Templates by column count.
TEMPLATES: dict[int, dict[str, int]] = {
    13: _EXAMPLE,  # sql, once the INSERT around it is taken off
    15: _EXAMPLE,
    17: _EXAMPLE,  # linksys
    20: {**_EXAMPLE, "recording": 19},  # snom
    18: {  # asterisk
        "clid": 4,
        "number": 1,
        "destination": 2,
        "channel": 5,
        "bridge": 6,
        "app": 7,
        "start": 9,
        "answer": 10,
        "end": 11,
        "billsec": 13,
        "cause": 14,
        "uuid": 16,
        "recording": 17,
    },
}

_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+[\w.\"`]+\s+VALUES\s*\((.*)\)\s*;?\s*$", re.IGNORECASE)


def unwrap_sql(text: str) -> str:
    """The ``sql`` template's lines with the statement around the values taken off, one line for
    one line so that problems keep their line numbers."""
    if "INSERT" not in text[:200].upper():
        return text
    lines = text.splitlines()
    return "\n".join(match[1] if (match := _INSERT.match(line)) else line for line in lines)


def shape(fields: list[str]) -> bool:
    """Whether a line has the shape of one of the templates."""
    template = TEMPLATES.get(len(fields))
    if template is None:
        return False
    return looks_like_time(fields[template["start"]]) and looks_like_cause(fields[template["cause"]])


def read(
    rows: Iterable[tuple[int, list[str] | str]], *, name: str, clock: LocalClock
) -> tuple[int, list[Channel], list[RowProblem]]:
    """The channel of every readable line (joined into calls later, with the other files'), and a
    problem for each line that is not."""
    channels: list[Channel] = []
    problems: list[RowProblem] = []
    count = 0
    for line, fields in rows:
        count += 1
        if isinstance(fields, str):
            problems.append(RowProblem(name, line, fields))
            continue
        template = TEMPLATES.get(len(fields))
        if template is None:
            problems.append(
                RowProblem(
                    name,
                    line,
                    f"{len(fields)} columns where FreeSWITCH's templates write 13, 15, 17, 18 or 20",
                )
            )
            continue
        channel = _channel(fields, template, line, clock)
        if isinstance(channel, str):
            problems.append(RowProblem(name, line, channel))
        else:
            channels.append(channel)
    return count, channels, problems


def _channel(fields: list[str], template: dict[str, int], line: int, clock: LocalClock) -> Channel | str:
    times = row_times(fields, template, clock)
    if isinstance(times, str):
        return times
    started, answered_at, ended = times
    uuid = fields[template["uuid"]].strip()
    if not uuid:
        return "no call id (uuid is empty)"
    billsec = fields[template["billsec"]].strip()
    answered = answered_at is not None or (whole(billsec) or 0) > 0
    number = fields[template["number"]].strip()
    if "clid" in template:
        clid = fields[template["clid"]]
        number = number or clid_number(clid)
        name = caller_name(clid, number)
    else:
        name = fields[template["name"]].strip() or None
        if name == number:
            name = None
    bleg = fields[template["bleg"]].strip() if "bleg" in template else ""
    bridge = fields[template["bridge"]].strip() if "bridge" in template else ""
    app = fields[template["app"]].strip().lower() if "app" in template else ""
    cause = fields[template["cause"]].strip()
    outcome = missed(cause)
    if answered and app.startswith("voicemail"):
        outcome = Disposition.voicemail
    destination = fields[template["destination"]].strip()
    answered_by, direct = channel_endpoint(bridge) if bridge else (None, True)
    leg = Leg(
        line=line,
        group=uuid,
        caller=number,
        callee=destination,
        caller_name=name,
        answered_by=answered_by,
        answered_by_direct=direct,
        outcome=outcome,
        recording_url=recording(fields[template["recording"]]) if "recording" in template else None,
        started_at=started,
        answered_at=answered_at,
        ended_at=ended,
    )
    return Channel(
        uuid=uuid,
        links=(bleg,) if bleg else (),
        answered=answered,
        bridged=bool(bleg or bridge),
        destination=destination,
        leg=leg,
    )
