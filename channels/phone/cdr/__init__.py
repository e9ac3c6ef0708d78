"""Readers of PBX call logs (CDRs): files in, one :class:`~channels.phone.records.CallRecord`
per call out, with every row that could not be read reported by its line.

Pure code: no database, no network. The importer (``hub ingest phone``) and the webhook call
:func:`read_cdr` and :func:`read_json_cdr`; ``docs/phone.md`` describes the formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import msgspec

from channels.phone.cdr import asterisk, freeswitch_csv, freeswitch_json, mapped
from channels.phone.cdr.detect import detect
from channels.phone.cdr.fields import LocalClock
from channels.phone.cdr.freeswitch_calls import Channel, calls_of
from channels.phone.cdr.legs import CdrError, Leg, merge, merge_groups
from channels.phone.cdr.mapped import CsvMapping, load_mapping
from channels.phone.cdr.text import decode, records
from channels.phone.records import CallRecord, RowProblem

__all__ = [
    "FORMATS",
    "CdrError",
    "CdrReading",
    "CsvMapping",
    "load_mapping",
    "read_cdr",
    "read_cdr_files",
    "read_json_cdr",
]

FORMATS = ("auto", "asterisk", "asterisk-custom", "freeswitch-csv", "freeswitch-json", "csv")


class CdrReading(msgspec.Struct, frozen=True, kw_only=True):
    """What one file held."""

    #: The format read (the one detected, with ``auto``; ``auto`` itself for an empty file).
    format: str
    #: Rows (JSON documents) read, good and bad; a header and blank lines are not rows.
    rows: int
    #: One record per call, its legs merged, in start order.
    calls: list[CallRecord]
    problems: list[RowProblem]


def read_cdr(
    data: bytes,
    *,
    name: str,
    format: str = "auto",
    mapping: CsvMapping | None = None,
    timezone: ZoneInfo,
) -> CdrReading:
    """The calls in one file. A row that cannot be read is a problem and the rest is read; only a
    file whose format cannot be told (or a ``csv`` without its mapping) raises CdrError."""
    return read_cdr_files([(name, data)], format=format, mapping=mapping, timezone=timezone)[0]


def read_cdr_files(
    files: Sequence[tuple[str, bytes]],
    *,
    format: str = "auto",
    mapping: CsvMapping | None = None,
    timezone: ZoneInfo,
) -> list[CdrReading]:
    """Several files (name, content) read together, one reading each: the legs of a call filed
    apart (FreeSWITCH's ``a_<uuid>.cdr.json`` beside the b-leg's ``<uuid>.cdr.json``, a call
    across a rotated Master.csv) are merged into one call, listed with the file of its first leg."""
    if format not in FORMATS:
        raise CdrError(f"unknown format {format!r}; known: {', '.join(FORMATS)}")
    clock = LocalClock(timezone)
    read: list[tuple[str, int, list[RowProblem]]] = []
    asterisk_legs: list[Leg] = []
    mapped_legs: list[Leg] = []
    channels: list[Channel] = []
    for source, (name, data) in enumerate(files):
        text = decode(data)
        used = format
        if used == "auto":
            used = detect(text, name=name, mapping=mapping) or "auto"
        legs: list[Leg] = []
        problems: list[RowProblem] = []
        rows = 0
        if used == "auto":
            pass
        elif used in {"asterisk", "asterisk-custom"}:
            rows, legs, problems = asterisk.read(
                records(text), name=name, clock=clock, custom=used == "asterisk-custom"
            )
            asterisk_legs += legs
        elif used == "freeswitch-csv":
            rows, found, problems = freeswitch_csv.read(
                records(freeswitch_csv.unwrap_sql(text), skip_initial_space=True), name=name, clock=clock
            )
            channels += found
            legs = [channel.leg for channel in found]
        elif used == "freeswitch-json":
            rows, found, problems = _read_json(text, name=name, clock=clock)
            channels += found
            legs = [channel.leg for channel in found]
        else:
            if mapping is None:
                raise CdrError(f"{name}: the csv format needs a mapping file (--mapping)")
            rows, legs, problems = mapped.read(
                records(text, delimiter=mapping.delimiter), name=name, clock=clock, mapping=mapping
            )
            mapped_legs += legs
        for leg in legs:
            leg.source = source
        read.append((used, rows, problems))
    calls: list[list[CallRecord]] = [[] for _ in files]
    for legs in (asterisk_legs, calls_of(channels), mapped_legs):
        for source, call in merge_groups(legs):
            calls[source].append(call)
    for found_calls in calls:
        found_calls.sort(key=lambda call: (call.started_at, call.call_id))
    return [
        CdrReading(format=used, rows=rows, calls=found_calls, problems=problems)
        for (used, rows, problems), found_calls in zip(read, calls, strict=True)
    ]


def _read_json(text: str, *, name: str, clock: LocalClock) -> tuple[int, list[Channel], list[RowProblem]]:
    channels: list[Channel] = []
    problems: list[RowProblem] = []
    rows = 0
    for line, document in freeswitch_json.documents(text):
        rows += 1
        if isinstance(document, str):
            problems.append(RowProblem(name, line, document))
            continue
        channel = freeswitch_json.channel(document, line=line, clock=clock)
        if isinstance(channel, str):
            problems.append(RowProblem(name, line, channel))
        else:
            channels.append(channel)
    return rows, channels, problems


def read_json_cdr(data: bytes, *, timezone: ZoneInfo) -> CallRecord:
    """One ``mod_json_cdr`` document as FreeSWITCH posts it (raw JSON, or the form field
    ``cdr=…`` it sends when told to encode), as one call; CdrError says why it cannot be read."""
    text = decode(data).strip()
    if text.startswith("cdr="):
        from urllib.parse import parse_qs

        text = parse_qs(text, keep_blank_values=True).get("cdr", [""])[0]
    try:
        document = freeswitch_json.parse_one(text)
    except (ValueError, RecursionError) as error:
        raise CdrError(f"not JSON: {error}") from None
    channel = freeswitch_json.channel(document, line=1, clock=LocalClock(timezone))
    if isinstance(channel, str):
        raise CdrError(channel)
    (leg,) = calls_of([channel])
    return merge([leg])
