"""The call-log fixtures (tests/fixtures/phone, written by build_cdrs.py) read into the records
the phone channel imports: one per call, legs merged, times in UTC, problems by line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from channels.phone.cdr import CdrReading, load_mapping, read_cdr, read_cdr_files
from channels.phone.records import CallRecord, Disposition, RowProblem
from tests.fixtures.phone.build_cdrs import A_LEG, B_LEG, HERE, files

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


def read(name: str, zone: ZoneInfo = SHANGHAI, **options: Any) -> CdrReading:
    return read_cdr((HERE / name).read_bytes(), name=name, timezone=zone, **options)


def by_id(calls: list[CallRecord]) -> dict[str, CallRecord]:
    return {call.call_id: call for call in calls}


def test_the_fixture_files_are_what_the_builder_writes() -> None:
    for name, data in files().items():
        assert (HERE / name).read_bytes() == data, f"{name} is stale: run tests/fixtures/phone/build_cdrs.py"


def test_asterisk_21_columns_merges_legs_by_linkedid_and_reports_bad_rows_by_line() -> None:
    reading = read("asterisk_21.csv")
    assert reading.format == "asterisk"
    assert reading.rows == 20  # the row with a line break in its caller name is one row on two lines
    calls = by_id(reading.calls)
    assert [call.started_at for call in reading.calls] == sorted(call.started_at for call in reading.calls)
    assert len(calls) == 8

    ring = calls["1790744400.1"]  # a holiday call through a ring group of Local channels
    assert ring == CallRecord(
        call_id="1790744400.1",
        caller="13812345678",
        callee="4008001234",
        caller_name="张三, 销售",
        agent_extension="301",
        started_at=utc("2026-10-01 01:00:00"),
        answered_at=utc("2026-10-01 01:00:12"),
        ended_at=utc("2026-10-01 01:04:00"),
        disposition=Disposition.answered,
        recording_url="/var/spool/asterisk/monitor/20261001-090000-13812345678.wav",
        legs=4,
    )

    queued = calls["1790746200.9"]  # answered by the queue's music only: the caller gave up
    assert (queued.disposition, queued.queue, queued.agent_extension, queued.answered_at, queued.legs) == (
        Disposition.abandoned,
        "support",
        None,
        None,
        3,
    )
    assert queued.ended_at == utc("2026-10-01 01:31:30")

    transfer = calls["1791375600.20"]  # 303 answered, then handed the caller to 304
    assert (transfer.agent_extension, transfer.answered_at, transfer.ended_at, transfer.legs) == (
        "303",
        utc("2026-10-08 02:00:05"),
        utc("2026-10-08 02:06:00"),
        2,
    )
    assert transfer.caller_name is None  # the caller id is the number alone

    voicemail = calls["1791383400.30"]
    assert (voicemail.disposition, voicemail.answered_at, voicemail.caller_name) == (
        Disposition.voicemail,
        None,
        None,
    )

    outbound = calls["1791388800.40"]  # placed by extension 301 through the trunk
    assert (outbound.caller, outbound.callee, outbound.agent_extension, outbound.disposition) == (
        "301",
        "13812345678",
        "301",
        Disposition.answered,
    )
    assert calls["1791392400.50"].disposition is Disposition.busy
    assert calls["1791394200.60"].disposition is Disposition.abandoned  # CANCEL: the caller hung up
    assert calls["1791396000.70"].caller_name == "Acme\nTrading"
    assert calls["1791396000.70"].agent_extension == "302"

    assert reading.problems == [
        RowProblem("asterisk_21.csv", 17, "a time that is not a date and time: month must be in 1..12"),
        RowProblem("asterisk_21.csv", 18, "the call ends before it starts"),
        RowProblem("asterisk_21.csv", 19, "5 columns where Asterisk writes 16 to 21"),
        RowProblem("asterisk_21.csv", 20, "no call id (uniqueid and linkedid are empty)"),
        RowProblem("asterisk_21.csv", 21, "unknown disposition 'ON HOLD'"),
    ]


def test_asterisk_18_columns_in_gb18030_is_read_without_being_told() -> None:
    reading = read("asterisk_18_gb18030.csv")
    assert (reading.format, reading.rows, reading.problems) == ("asterisk", 2, [])
    first, second = reading.calls
    assert (first.call_id, first.caller, first.caller_name, first.agent_extension) == (
        "1791378900.1",
        "02161234567",
        "王, 小明",
        "305",
    )
    assert first.recording_url is None  # a userfield note is not a recording
    assert (second.caller_name, second.disposition, second.answered_at) == (
        "上海某某贸易有限公司",
        Disposition.no_answer,
        None,
    )


def test_asterisk_16_columns_with_a_bom_in_gmt_gets_stable_ids() -> None:
    reading = read("asterisk_16_bom.csv", ZoneInfo("UTC"))
    assert (reading.format, reading.rows, reading.problems) == ("asterisk", 2, [])
    answered, missed = reading.calls
    assert answered.started_at == utc("2026-10-01 01:00:00")  # usegmtime: read with the UTC zone
    assert answered.caller_name == "张三"
    assert missed.disposition is Disposition.no_answer
    assert answered.call_id.startswith("asterisk-") and answered.call_id != missed.call_id
    assert [call.call_id for call in read("asterisk_16_bom.csv", ZoneInfo("UTC")).calls] == [
        answered.call_id,
        missed.call_id,
    ]


def test_asterisk_cdr_custom_sample_mapping() -> None:
    reading = read("asterisk_custom.csv")
    assert (reading.format, reading.rows, reading.problems) == ("asterisk-custom", 3, [])
    internal, inbound = reading.calls
    assert (internal.caller, internal.callee, internal.caller_name, internal.agent_extension) == (
        "1001",
        "1002",
        None,
        "1001",  # placed by extension 1001
    )
    assert (inbound.call_id, inbound.caller_name, inbound.agent_extension, inbound.legs) == (
        "1791385800.3",
        "赵六",
        "1003",
        2,
    )
    assert inbound.answered_at == utc("2026-10-08 03:10:33")


def test_freeswitch_example_template_joins_a_and_b_legs() -> None:
    reading = read("freeswitch_example.csv")
    assert (reading.format, reading.rows) == ("freeswitch-csv", 7)
    answered, abandoned, busy = reading.calls
    assert answered == CallRecord(
        call_id="4f6c1a52-0000-4000-8000-00000000000a",
        caller="13812345678",
        callee="4008001234",
        caller_name="张三",
        agent_extension="1002",
        started_at=utc("2026-10-01 02:00:00"),
        answered_at=utc("2026-10-01 02:00:09"),
        ended_at=utc("2026-10-01 02:03:00"),
        disposition=Disposition.answered,
        legs=3,  # the b-leg that lost the race is joined by caller and time
    )
    assert (abandoned.call_id, abandoned.disposition, abandoned.legs) == (
        "7d0e2b63-0000-4000-8000-00000000000a",
        Disposition.abandoned,
        2,
    )
    assert busy.disposition is Disposition.busy
    assert reading.problems == [
        RowProblem(
            "freeswitch_example.csv",
            7,
            "a time that is not a date and time: Invalid isoformat string: 'not a time'",
        )
    ]


def test_freeswitch_json_legs_filed_apart_are_one_call() -> None:
    names = [f"{B_LEG}.cdr.json", f"a_{A_LEG}.cdr.json"]
    b_reading, a_reading = read_cdr_files(
        [(name, (HERE / name).read_bytes()) for name in names], timezone=SHANGHAI
    )
    assert (b_reading.format, b_reading.rows, b_reading.calls) == ("freeswitch-json", 1, [])
    (call,) = a_reading.calls
    assert call == CallRecord(
        call_id=A_LEG,
        caller="13812345678",
        callee="4008001234",
        caller_name="张三, 销售",  # URL-encoded in the file
        agent_extension="1002",
        queue="support",
        started_at=utc("2026-10-08 02:30:00"),
        answered_at=utc("2026-10-08 02:30:07"),
        ended_at=utc("2026-10-08 02:35:00"),
        disposition=Disposition.answered,
        recording_url=f"/var/lib/freeswitch/recordings/2026-10-08/{A_LEG}.wav",
        legs=2,
    )
    # The b-leg alone still names its call, so importing it before or after changes nothing.
    (alone,) = read(f"{B_LEG}.cdr.json").calls
    assert (alone.call_id, alone.agent_extension, alone.disposition) == (A_LEG, "1002", Disposition.answered)


def test_freeswitch_json_with_the_old_repeated_callflow_key() -> None:
    reading = read("freeswitch_old_callflow.cdr.json")
    assert (reading.format, reading.rows, reading.problems) == ("freeswitch-json", 1, [])
    (call,) = reading.calls
    assert (call.caller, call.callee, call.disposition, call.answered_at) == (
        "13600003333",
        "4008001234",
        Disposition.voicemail,
        None,
    )
    assert call.ended_at == utc("2026-10-08 04:31:10")


def test_a_spreadsheet_export_with_a_mapping() -> None:
    mapping = load_mapping((HERE / "export_mapping.json").read_bytes(), name="export_mapping.json")
    reading = read("export_gb18030.csv", mapping=mapping)
    assert (reading.format, reading.rows) == ("csv", 5)
    first, missed, outbound = reading.calls
    assert (first.call_id, first.agent_extension, first.disposition, first.direction) == (
        "A-1001",
        "301",
        Disposition.answered,
        "inbound",
    )
    assert (first.started_at, first.ended_at) == (utc("2026-10-01 01:00:00"), utc("2026-10-01 01:02:10"))
    assert missed.disposition is Disposition.no_answer and missed.agent_extension is None
    assert (outbound.direction, outbound.agent_extension, outbound.started_at) == (
        "outbound",
        "301",
        utc("2026-10-08 01:10:00"),  # "9:10" without its leading zero
    )
    assert reading.problems == [
        RowProblem("export_gb18030.csv", 5, "unknown disposition '转接中'"),
        RowProblem("export_gb18030.csv", 6, "no call id"),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("asterisk_21.csv", "asterisk"),
        ("asterisk_18_gb18030.csv", "asterisk"),
        ("asterisk_custom.csv", "asterisk-custom"),
        ("freeswitch_example.csv", "freeswitch-csv"),
        ("freeswitch_old_callflow.cdr.json", "freeswitch-json"),
    ],
)
def test_auto_detects_each_format_and_reads_as_the_named_format_does(name: str, expected: str) -> None:
    detected = read(name)
    assert detected.format == expected
    assert read(name, format=expected) == detected
