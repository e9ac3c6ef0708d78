"""Writes Asterisk ``cdr_csv`` lines as ``cdr_csv.c`` does: strings and times double-quoted with
quotes doubled, durations and sequence bare, an unset time an empty bare field.

Used by the demo data, the test fixtures and the benchmark, so that what they feed the reader is
what a PBX writes; the reader's tests check that the two round-trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import msgspec

#: Column counts by ``cdr.conf`` options: none, loguniqueid+loguserfield (the sample cdr.conf),
#: and those plus newcdrcolumns.
COLUMNS = (16, 18, 21)


class AsteriskRow(msgspec.Struct, frozen=True, kw_only=True):
    """One CDR row (one leg) with Asterisk's field names. Times are aware; they are written in
    the zone given to :func:`line` (local time, as Asterisk does unless ``usegmtime``)."""

    src: str
    dst: str
    channel: str
    start: datetime
    end: datetime
    disposition: str
    answer: datetime | None = None
    accountcode: str = ""
    dcontext: str = "from-internal"
    clid: str = ""
    dstchannel: str = ""
    lastapp: str = "Dial"
    lastdata: str = ""
    amaflags: str = "DOCUMENTATION"
    uniqueid: str = ""
    userfield: str = ""
    peeraccount: str = ""
    linkedid: str = ""
    sequence: int = 0

    def fields(self, columns: int, zone: ZoneInfo) -> list[str]:
        """The values as text, as a reader sees them once unquoted."""
        duration = int((self.end - self.start).total_seconds())
        billsec = int((self.end - self.answer).total_seconds()) if self.answer is not None else 0
        values = [
            self.accountcode,
            self.src,
            self.dst,
            self.dcontext,
            self.clid,
            self.channel,
            self.dstchannel,
            self.lastapp,
            self.lastdata,
            _stamp(self.start, zone),
            _stamp(self.answer, zone),
            _stamp(self.end, zone),
            str(duration),
            str(billsec),
            self.disposition,
            self.amaflags,
        ]
        if columns >= 18:
            values += [self.uniqueid, self.userfield]
        if columns == 21:
            values += [self.peeraccount, self.linkedid, str(self.sequence)]
        return values


def _stamp(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


#: Durations and sequence are written bare; a time is quoted when set and an empty bare field when not.
_NUMBERS = frozenset({12, 13, 20})
_TIMES = frozenset({9, 10, 11})


def line(row: AsteriskRow, *, columns: int = 21, zone: ZoneInfo) -> str:
    """One row as ``cdr_csv`` writes it, without the newline."""
    if columns not in COLUMNS:
        raise ValueError(f"cdr_csv writes {COLUMNS} columns here, not {columns}")
    parts = []
    for index, value in enumerate(row.fields(columns, zone)):
        if index in _NUMBERS or (index in _TIMES and not value):
            parts.append(value)
        else:
            parts.append('"' + value.replace('"', '""') + '"')
    return ",".join(parts)


def write(rows: Iterable[AsteriskRow], *, columns: int = 21, zone: ZoneInfo) -> bytes:
    """A Master.csv of these rows, UTF-8, one line each."""
    return "".join(line(row, columns=columns, zone=zone) + "\n" for row in rows).encode()
