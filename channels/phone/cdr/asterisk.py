"""Asterisk's CSV call logs: ``cdr_csv``'s Master.csv and the sample ``cdr_custom`` mapping.

``cdr_csv`` writes no header; which optional columns a line has depends on ``cdr.conf``
(``loguniqueid``, ``loguserfield``, ``newcdrcolumns``), so each line's layout is read from its
own column count: 16 base columns, then uniqueid and userfield, then peeraccount, linkedid and
sequence. ``cdr_custom``'s sample "Master.csv" mapping has 19 columns in another order (caller id
first, no linkedid). Strings are double-quoted with quotes doubled, numbers bare, an unset time
(the answer of a missed call) an empty bare field; times are local unless ``usegmtime=yes``
(read them with the UTC zone then).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from channels.phone.cdr.fields import (
    LocalClock,
    caller_name,
    channel_endpoint,
    queue_name,
    recording,
    whole,
)
from channels.phone.cdr.legs import Leg, row_times
from channels.phone.records import Disposition, RowProblem

#: Column positions of the fields read, by layout.
_BASE = {
    "src": 1,
    "dst": 2,
    "clid": 4,
    "channel": 5,
    "dstchannel": 6,
    "lastapp": 7,
    "lastdata": 8,
    "start": 9,
    "answer": 10,
    "end": 11,
    "billsec": 13,
    "disposition": 14,
}
_UNIQUEID = re.compile(r"^(?:.+-)?\d+\.\d+$")
CUSTOM = {
    "clid": 0,
    "src": 1,
    "dst": 2,
    "channel": 4,
    "dstchannel": 5,
    "lastapp": 6,
    "lastdata": 7,
    "start": 8,
    "answer": 9,
    "end": 10,
    "billsec": 12,
    "disposition": 13,
    "uniqueid": 16,
    "userfield": 17,
    "sequence": 18,
}

#: Asterisk's dispositions (``ast_cdr_disp2str``) as seen from the leg. ``ANSWERED`` is decided
#: in :func:`_answered`: a queue or a voicemail box answers too, and that is no person answering.
DISPOSITIONS: dict[str, Disposition] = {
    "ANSWERED": Disposition.answered,
    "NO ANSWER": Disposition.no_answer,
    "BUSY": Disposition.busy,
    "FAILED": Disposition.failed,
    "CONGESTION": Disposition.failed,
    "CANCEL": Disposition.abandoned,
    "UNKNOWN": Disposition.failed,
}


def cdr_csv_layout(fields: list[str]) -> dict[str, int] | None:
    """The column positions of a ``cdr_csv`` line of this many columns, or None for a count
    ``cdr_csv`` never writes. One optional column alone (17 or 20) is the uniqueid when it looks
    like one (``1706420300.12``, ``host-1706420300.12``), else the userfield."""
    count = len(fields)
    if count < 16 or count > 21:
        return None
    single = (count - 16) % 3 == 1
    return _LAYOUTS[count, single and bool(_UNIQUEID.match(fields[16].strip()))]


def _layout(count: int, uniqueid: bool) -> dict[str, int]:
    layout = dict(_BASE)
    extra = count - 16
    if extra >= 3:
        extra -= 3
        layout["sequence"] = count - 1
        layout["linkedid"] = count - 2
    if extra == 2:
        layout["uniqueid"] = 16
        layout["userfield"] = 17
    elif extra == 1:
        layout["uniqueid" if uniqueid else "userfield"] = 16
    return layout


_LAYOUTS = {
    (count, uniqueid): _layout(count, uniqueid) for count in range(16, 22) for uniqueid in (False, True)
}


def _answered(lastapp: str, dstchannel: str) -> tuple[bool, Disposition]:
    """An ``ANSWERED`` leg: a person when it was bridged to another channel; else whatever
    answered it did (a caller hanging up in a queue is ``ANSWERED`` with no dstchannel: the
    queue answered to play its music; that caller abandoned)."""
    if lastapp.lower().startswith("voicemail"):
        return False, Disposition.voicemail
    if dstchannel:
        return True, Disposition.answered
    return False, Disposition.abandoned


def read(
    rows: Iterable[tuple[int, list[str] | str]], *, name: str, clock: LocalClock, custom: bool
) -> tuple[int, list[Leg], list[RowProblem]]:
    """Legs of every readable row, and a problem for each row that is not."""
    legs: list[Leg] = []
    problems: list[RowProblem] = []
    count = 0
    for line, fields in rows:
        count += 1
        if isinstance(fields, str):
            problems.append(RowProblem(name, line, fields))
            continue
        if custom:
            layout: dict[str, int] | None = CUSTOM if len(fields) == 19 else None
            expected = "19"
        else:
            layout = cdr_csv_layout(fields)
            expected = "16 to 21"
        if layout is None:
            problems.append(RowProblem(name, line, f"{len(fields)} columns where Asterisk writes {expected}"))
            continue
        leg = _leg(fields, layout, line, clock)
        if isinstance(leg, str):
            problems.append(RowProblem(name, line, leg))
        else:
            legs.append(leg)
    return count, legs, problems


def _leg(fields: list[str], layout: dict[str, int], line: int, clock: LocalClock) -> Leg | str:
    times = row_times(fields, layout, clock)
    if isinstance(times, str):
        return times
    started, answered_at, ended = times
    word = fields[layout["disposition"]].strip().upper()
    outcome = DISPOSITIONS.get(word)
    if outcome is None:
        return f"unknown disposition {word!r}"
    src = fields[layout["src"]].strip()
    dst = fields[layout["dst"]].strip()
    channel = fields[layout["channel"]].strip()
    dstchannel = fields[layout["dstchannel"]].strip()
    lastapp = fields[layout["lastapp"]].strip()
    group = _group(fields, layout, channel, src, dst)
    if not group:
        return "no call id (uniqueid and linkedid are empty)"
    person = False
    if outcome is Disposition.answered:
        person, outcome = _answered(lastapp, dstchannel)
    answered_by, direct = channel_endpoint(dstchannel) if person else (None, True)
    # Placed by an extension when the calling channel is that extension's phone (SIP/301-… from 301).
    placed = bool(src) and f"/{src}" in channel and channel_endpoint(channel)[0] == src
    if person and answered_at is None:
        answered_at = _answer_from_billsec(fields[layout["billsec"]], ended)
        if answered_at is not None and answered_at < started:
            answered_at = started  # more talk time than the whole call: it was answered at once
    sequence = 0
    if "sequence" in layout:
        raw = fields[layout["sequence"]].strip()
        sequence = whole(raw) or 0
    userfield = fields[layout["userfield"]] if "userfield" in layout else ""
    return Leg(
        line=line,
        group=group,
        sequence=sequence,
        caller=src,
        callee=dst,
        caller_name=caller_name(fields[layout["clid"]], src),
        placed_by=src if placed else None,
        person_answered=person,
        answered_by=answered_by,
        answered_by_direct=direct,
        outcome=outcome,
        queue=queue_name(fields[layout["lastdata"]]) if lastapp.lower() == "queue" else None,
        recording_url=recording(userfield),
        started_at=started,
        answered_at=answered_at if person else None,
        ended_at=ended,
    )


def _group(fields: list[str], layout: dict[str, int], channel: str, src: str, dst: str) -> str:
    """``linkedid`` groups the legs of a call; ``uniqueid`` without it. A 16-column log has
    neither, so the id is made from what identifies the row (its channel and start), the same on
    every import."""
    for key in ("linkedid", "uniqueid"):
        if key in layout:
            value = fields[layout[key]].strip()
            if value:
                return value
    if "linkedid" in layout or "uniqueid" in layout:
        return ""
    seed = "\x1f".join((channel, fields[layout["start"]].strip(), src, dst))
    return "asterisk-" + hashlib.sha256(seed.encode()).hexdigest()[:20]


def _answer_from_billsec(billsec: str, ended: datetime) -> datetime | None:
    """An answered leg whose answer time was not kept: the talk time back from its end."""
    seconds = whole(billsec)
    if seconds is None:
        return None
    try:
        return ended - timedelta(seconds=seconds)
    except OverflowError:
        return None
