"""Telling a log's format from its content, for ``--format auto``.

JSON is FreeSWITCH's ``mod_json_cdr``; an ``INSERT`` is its ``sql`` template. Otherwise the first
rows are matched against each CSV layout by where its start time and outcome sit (Asterisk's
``cdr_csv``: start in column 10, ``ANSWERED``/``NO ANSWER``… in column 15; the ``cdr_custom``
sample: 19 columns, start in column 9; FreeSWITCH's templates: a Q.850 cause where Asterisk
writes its disposition). A first row matching nothing whose next rows do is a header, which
only a mapping (``--format csv``) can read.
"""

from __future__ import annotations

from itertools import islice

from channels.phone.cdr import asterisk, freeswitch_csv
from channels.phone.cdr.fields import looks_like_time
from channels.phone.cdr.legs import CdrError
from channels.phone.cdr.mapped import CsvMapping
from channels.phone.cdr.text import records

_SAMPLE = 50


def _shape(fields: list[str]) -> str | None:
    layout = asterisk.cdr_csv_layout(fields)
    if (
        layout is not None
        and looks_like_time(fields[layout["start"]])
        and fields[layout["disposition"]].strip().upper() in asterisk.DISPOSITIONS
    ):
        return "asterisk"
    custom = asterisk.CUSTOM
    if (
        len(fields) == 19
        and looks_like_time(fields[custom["start"]])
        and fields[custom["disposition"]].strip().upper() in asterisk.DISPOSITIONS
    ):
        return "asterisk-custom"
    if freeswitch_csv.shape(fields):
        return "freeswitch-csv"
    return None


def detect(text: str, *, name: str, mapping: CsvMapping | None) -> str | None:
    """The format of a log, None for one with nothing in it, CdrError when it cannot be told."""
    start = text.lstrip()
    if not start:
        return None
    if start[0] in "{[":
        return "freeswitch-json"
    if mapping is not None:
        return "csv"
    if start[:6].upper() == "INSERT":
        return "freeswitch-csv"
    sample = [fields for _, fields in islice(records(text, skip_initial_space=True), _SAMPLE)]
    rows = [fields for fields in sample if isinstance(fields, list)]
    if not rows:
        raise CdrError(f"{name}: cannot tell the format: no readable CSV rows")
    shapes = [_shape(fields) for fields in rows]
    votes: dict[str, int] = {}
    for shape in shapes:
        if shape is not None:
            votes[shape] = votes.get(shape, 0) + 1
    if shapes[0] is None and not any(looks_like_time(field) for field in rows[0]) and len(rows) > 1:
        raise CdrError(
            f"{name}: the first row looks like a header ({', '.join(f.strip() for f in rows[0][:6])}…): "
            "read it with --format csv and a --mapping file"
        )
    if not votes:
        counts = sorted({len(fields) for fields in rows})
        raise CdrError(
            f"{name}: cannot tell the format: rows of {', '.join(map(str, counts))} columns with no start "
            "time and outcome where Asterisk or FreeSWITCH write them; give --format, or --format csv "
            "with a --mapping file"
        )
    return max(votes, key=lambda shape: votes[shape])
