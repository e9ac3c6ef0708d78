"""Any PBX's call list exported as a spreadsheet: a CSV with a header, and a small mapping file
saying which column holds what.

The mapping is JSON or TOML::

    time_format = "%Y/%m/%d %H:%M"          # optional: ISO dates and epoch seconds are read anyway

    [columns]
    call_id = "Call ID"
    caller = "From"
    callee = "To"
    started_at = "Start"
    duration = "Duration"                    # seconds or H:MM:SS, when there is no end column
    disposition = "Result"

    [dispositions]
    "接通" = "answered"
    "未接" = "no_answer"
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

import msgspec

from channels.phone.cdr.fields import LocalClock, channel_endpoint, from_epoch, queue_name, recording
from channels.phone.cdr.legs import CdrError, Leg, out_of_order
from channels.phone.records import Disposition, RowProblem


class Columns(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Header names of the columns holding each part of a call. Only the caller and the start are
    required; without ``call_id`` a call is known by its caller and start."""

    caller: str
    started_at: str
    call_id: str | None = None
    callee: str | None = None
    caller_name: str | None = None
    direction: str | None = None
    agent_extension: str | None = None
    queue: str | None = None
    answered_at: str | None = None
    ended_at: str | None = None
    #: The whole call in seconds (or ``H:MM:SS``), for exports with no end time.
    duration: str | None = None
    #: Talk time, from the answer to the end (Asterisk's ``billsec``), for exports with no answer time.
    talk_time: str | None = None
    #: Waiting time, from the start to the answer, for exports with no answer time.
    wait_time: str | None = None
    disposition: str | None = None
    recording_url: str | None = None


class CsvMapping(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    columns: Columns
    #: ``strptime`` format of the time columns; ISO dates (``2026-10-01 09:00:00``) and epoch
    #: seconds are read without one.
    time_format: str | None = None
    #: The export's words for each outcome (``{"接通": "answered"}``), beside the common ones
    #: understood anyway (``ANSWERED``, ``NO ANSWER``, ``已接``, ``未接``, ``忙``…).
    dispositions: dict[str, Disposition] = msgspec.field(default_factory=dict)
    directions: dict[str, Literal["inbound", "outbound"]] = msgspec.field(default_factory=dict)
    delimiter: str = ","


_KNOWN_WORDS: dict[str, Disposition] = {
    "answered": Disposition.answered,
    "answer": Disposition.answered,
    "connected": Disposition.answered,
    "no answer": Disposition.no_answer,
    "no_answer": Disposition.no_answer,
    "noanswer": Disposition.no_answer,
    "missed": Disposition.no_answer,
    "unanswered": Disposition.no_answer,
    "busy": Disposition.busy,
    "failed": Disposition.failed,
    "congestion": Disposition.failed,
    "cancel": Disposition.abandoned,
    "abandoned": Disposition.abandoned,
    "voicemail": Disposition.voicemail,
    "已接": Disposition.answered,
    "已接听": Disposition.answered,
    "接通": Disposition.answered,
    "已接通": Disposition.answered,
    "未接": Disposition.no_answer,
    "未接听": Disposition.no_answer,
    "未接通": Disposition.no_answer,
    "无应答": Disposition.no_answer,
    "忙": Disposition.busy,
    "占线": Disposition.busy,
    "忙线": Disposition.busy,
    "失败": Disposition.failed,
    "呼叫失败": Disposition.failed,
    "放弃": Disposition.abandoned,
    "呼损": Disposition.abandoned,
    "客户挂断": Disposition.abandoned,
    "留言": Disposition.voicemail,
    "语音信箱": Disposition.voicemail,
}
_KNOWN_DIRECTIONS = {
    "inbound": "inbound",
    "in": "inbound",
    "incoming": "inbound",
    "呼入": "inbound",
    "outbound": "outbound",
    "out": "outbound",
    "outgoing": "outbound",
    "呼出": "outbound",
}


def load_mapping(data: bytes, *, name: str) -> CsvMapping:
    """The mapping in a JSON or TOML file; CdrError saying what is wrong with it."""
    from channels.phone.cdr.text import decode

    text = decode(data)
    try:
        if name.lower().endswith(".json") or text.lstrip().startswith("{"):
            raw = json.loads(text)
        else:
            raw = tomllib.loads(text)
    except (ValueError, RecursionError) as error:
        raise CdrError(f"{name}: the mapping is neither JSON nor TOML: {error}") from None
    try:
        mapping = msgspec.convert(raw, CsvMapping)
    except msgspec.ValidationError as error:
        raise CdrError(f"{name}: {error}") from None
    if mapping.columns.ended_at is None and mapping.columns.duration is None:
        raise CdrError(f"{name}: the mapping needs an ended_at or a duration column")
    if len(mapping.delimiter) != 1:
        raise CdrError(f"{name}: the delimiter must be one character")
    return mapping


def _seconds(text: str) -> int | None:
    """Seconds written as ``75``, ``75.0``, ``1:15`` or ``0:01:15``; None when empty."""
    text = text.strip()
    if not text:
        return None
    if ":" in text:
        total = 0
        for part in text.split(":"):
            total = total * 60 + int(part)
        return total
    return round(float(text))


class _Row:
    """Reads one row's fields by header name, through the mapping."""

    def __init__(self, mapping: CsvMapping, header: list[str], name: str) -> None:
        positions = {column.strip(): index for index, column in enumerate(header)}
        folded = {column.strip().casefold(): index for index, column in enumerate(header)}
        self.index: dict[str, int] = {}
        for field, column in msgspec.structs.asdict(mapping.columns).items():
            if column is None:
                continue
            index = positions.get(column.strip(), folded.get(column.strip().casefold()))
            if index is None:
                raise CdrError(
                    f"{name}: the mapping's column {column!r} ({field}) is not in the header "
                    f"({', '.join(h.strip() for h in header)})"
                )
            self.index[field] = index
        self.width = len(header)

    def get(self, fields: list[str], field: str) -> str:
        index = self.index.get(field)
        return fields[index].strip() if index is not None and index < len(fields) else ""


def read(
    rows: Iterable[tuple[int, list[str] | str]], *, name: str, clock: LocalClock, mapping: CsvMapping
) -> tuple[int, list[Leg], list[RowProblem]]:
    legs: list[Leg] = []
    problems: list[RowProblem] = []
    count = 0
    reader: _Row | None = None
    for line, fields in rows:
        if reader is None:
            if isinstance(fields, str):
                raise CdrError(f"{name}: the header cannot be read: {fields}")
            reader = _Row(mapping, fields, name)
            continue
        count += 1
        if isinstance(fields, str):
            problems.append(RowProblem(name, line, fields))
            continue
        if len(fields) != reader.width:
            problems.append(
                RowProblem(name, line, f"{len(fields)} columns where the header has {reader.width}")
            )
            continue
        leg = _leg(reader, fields, line, clock, mapping)
        if isinstance(leg, str):
            problems.append(RowProblem(name, line, leg))
        else:
            legs.append(leg)
    return count, legs, problems


def _time(text: str, clock: LocalClock, mapping: CsvMapping) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) in {10, 13, 16}:
        value = int(text)
        return from_epoch(str(value // 1000) if len(text) == 13 else text, micro=len(text) == 16)
    if mapping.time_format:
        try:
            return clock.read_format(text, mapping.time_format)
        except ValueError:
            pass
    text = text.replace("/", "-")
    try:
        return clock.read(text)
    except ValueError:
        pass
    for pattern in _LOOSE:  # what a spreadsheet makes of a date: 2026-2-10 22:41
        try:
            return clock.read_format(text, pattern)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date and time")


_LOOSE = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def _leg(reader: _Row, fields: list[str], line: int, clock: LocalClock, mapping: CsvMapping) -> Leg | str:
    get = reader.get
    try:
        started = _time(get(fields, "started_at"), clock, mapping)
        answered_at = _time(get(fields, "answered_at"), clock, mapping)
        ended = _time(get(fields, "ended_at"), clock, mapping)
    except ValueError as error:
        return f"a time that is not a date and time: {error}"
    if started is None:
        return "no start time"
    try:
        duration = _seconds(get(fields, "duration"))
        talk = _seconds(get(fields, "talk_time"))
        wait = _seconds(get(fields, "wait_time"))
    except (ValueError, OverflowError):
        return "a duration that is not a number of seconds"
    try:
        if ended is None and duration is not None:
            ended = started + timedelta(seconds=duration)
        if answered_at is None and wait is not None and (talk or 0) > 0:
            answered_at = started + timedelta(seconds=wait)
        if answered_at is None and talk and ended is not None:
            answered_at = ended - timedelta(seconds=talk)
    except OverflowError:
        return "a duration too long for a call"
    if ended is None:
        return "no end time"
    if problem := out_of_order(started, answered_at, ended):
        return problem
    caller = get(fields, "caller")
    word = get(fields, "disposition")
    if word:
        disposition = mapping.dispositions.get(word) or _KNOWN_WORDS.get(word.casefold())
        if disposition is None:
            return f"unknown disposition {word!r}"
    else:
        disposition = Disposition.answered if answered_at is not None else Disposition.no_answer
    call_id = get(fields, "call_id")
    if not call_id:
        if "call_id" in reader.index:
            return "no call id"
        seed = f"{caller}\x1f{started.isoformat()}"
        call_id = "csv-" + hashlib.sha256(seed.encode()).hexdigest()[:20]
    direction_word = get(fields, "direction")
    direction = mapping.directions.get(direction_word) or _KNOWN_DIRECTIONS.get(direction_word.casefold())
    agent = get(fields, "agent_extension")
    if "/" in agent:
        agent = channel_endpoint(agent)[0] or agent
    answered = disposition is Disposition.answered
    return Leg(
        line=line,
        group=call_id,
        caller=caller,
        callee=get(fields, "callee"),
        caller_name=get(fields, "caller_name") or None,
        direction=direction,
        placed_by=agent or None if direction == "outbound" else None,
        person_answered=answered,
        answered_by=agent or None,
        outcome=disposition,
        queue=queue_name(get(fields, "queue")),
        recording_url=recording(get(fields, "recording_url")) or get(fields, "recording_url") or None,
        started_at=started,
        answered_at=answered_at if answered else None,
        ended_at=ended,
    )
