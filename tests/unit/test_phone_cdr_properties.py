"""Whatever a file holds, reading it raises nothing but CdrError; and what the Asterisk writer
(the fixtures', the demo's and the benchmark's) writes reads back as written."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from channels.phone.cdr import FORMATS, CdrError, load_mapping, read_cdr, read_json_cdr
from channels.phone.cdr.asterisk_writer import COLUMNS, AsteriskRow, line, write
from channels.phone.cdr.text import records
from channels.phone.records import Disposition
from tests.fixtures.phone.build_cdrs import HERE

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAPPING = load_mapping(
    b'{"columns": {"call_id": "id", "caller": "from", "started_at": "start", "duration": "secs",'
    b' "disposition": "result"}}',
    name="map.json",
)
BUDGET = settings(max_examples=200, deadline=None)

csv_field = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["ANSWERED", "NO ANSWER", "NORMAL_CLEARING", "2026-10-08 09:00:00", "", '"', "1.1"]),
    st.from_regex(r"20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True),
)
csv_text = st.lists(st.lists(csv_field, min_size=1, max_size=22), max_size=6).map(
    lambda rows: "\n".join(",".join(row) for row in rows)
)
#: Real rows of each fixture, to be damaged field by field: deep enough to reach the merging.
FIXTURE_ROWS = [
    fields
    for name in ("asterisk_21.csv", "asterisk_custom.csv", "freeswitch_example.csv")
    for _, fields in records((HERE / name).read_text())
    if isinstance(fields, list)
]


@st.composite
def damaged_logs(draw: st.DrawFn) -> str:
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        fields = list(draw(st.sampled_from(FIXTURE_ROWS)))
        for _ in range(draw(st.integers(0, 3))):
            fields[draw(st.integers(0, len(fields) - 1))] = draw(csv_field)
        rows.append(",".join('"' + field.replace('"', '""') + '"' for field in fields))
    return "\n".join(rows)


def _read_all(data: bytes) -> None:
    for format in FORMATS:
        try:
            reading = read_cdr(data, name="f", format=format, mapping=MAPPING, timezone=SHANGHAI)
        except CdrError:
            continue
        for call in reading.calls:
            assert call.started_at.tzinfo is UTC and call.ended_at >= call.started_at
            assert call.answered_at is None or call.disposition is Disposition.answered
            assert call.answered_at is None or call.started_at <= call.answered_at <= call.ended_at
        assert all(problem.line >= 1 for problem in reading.problems)
        # Every row read is a leg of a call or a problem, never both, never lost.
        assert reading.rows == sum(call.legs for call in reading.calls) + len(reading.problems)
    with contextlib.suppress(CdrError):
        read_json_cdr(data, timezone=SHANGHAI)


@BUDGET
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_nothing_but_cdr_error(data: bytes) -> None:
    _read_all(data)


@BUDGET
@given(st.one_of(csv_text, damaged_logs()))
def test_csv_like_text_raises_nothing_but_cdr_error(text: str) -> None:
    _read_all(text.encode())
    _read_all(text.encode("gb18030", errors="replace"))


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
json_document = st.fixed_dictionaries(
    {},
    optional={
        "variables": st.dictionaries(
            st.sampled_from(["uuid", "start_epoch", "end_uepoch", "answer_stamp", "bleg_uuid", "originator"]),
            st.one_of(st.text(max_size=10), st.integers(), st.sampled_from(["%", "%E5", "1791421260"])),
        ),
        "callflow": json_value,
        "app_log": json_value,
    },
)


@BUDGET
@given(json_document)
def test_json_documents_of_any_shape_raise_nothing_but_cdr_error(document: dict[str, object]) -> None:
    _read_all(json.dumps(document).encode())


text_value = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=15
)
moment = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)).map(
    lambda naive: naive.replace(microsecond=0, tzinfo=UTC)
)


@st.composite
def asterisk_rows(draw: st.DrawFn) -> AsteriskRow:
    start = draw(moment)
    talk = draw(st.integers(0, 3600))
    answered = draw(st.booleans())
    end = start + timedelta(seconds=draw(st.integers(0, 60)) + talk)
    return AsteriskRow(
        src=draw(text_value),
        dst=draw(text_value),
        clid=draw(text_value),
        channel=draw(text_value),
        dstchannel=draw(text_value),
        lastdata=draw(text_value),
        userfield=draw(text_value),
        start=start,
        answer=end - timedelta(seconds=talk) if answered else None,
        end=end,
        disposition=draw(st.sampled_from(["ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CANCEL"])),
        uniqueid=draw(st.from_regex(r"[0-9]{10}\.[0-9]{1,4}", fullmatch=True)),
        linkedid=draw(st.from_regex(r"[0-9]{10}\.[0-9]{1,4}", fullmatch=True)),
        sequence=draw(st.integers(0, 10_000)),
    )


@BUDGET
@given(st.lists(asterisk_rows(), min_size=1, max_size=4), st.sampled_from(COLUMNS))
def test_the_asterisk_writer_round_trips(rows: list[AsteriskRow], columns: int) -> None:
    data = write(rows, columns=columns, zone=SHANGHAI)
    assert [fields for _, fields in records(data.decode())] == [row.fields(columns, SHANGHAI) for row in rows]
    reading = read_cdr(data, name="Master.csv", format="asterisk", timezone=SHANGHAI)
    assert reading.rows == len(rows) and reading.problems == []
    assert sum(call.legs for call in reading.calls) == len(rows)
    if len(rows) == 1:
        (row,), (call,) = rows, reading.calls
        assert (call.caller, call.callee, call.started_at, call.ended_at) == (
            row.src.strip(),
            row.dst.strip(),
            row.start,
            row.end,
        )
        if columns == 21:
            assert call.call_id == row.linkedid
        if (
            call.disposition is Disposition.answered
        ):  # an answer time not kept: the talk time back from the end
            assert call.answered_at == (row.answer or row.end)
        assert line(row, columns=columns, zone=SHANGHAI) + "\n" == data.decode()
