"""The corners of each call-log format, one small log at a time: FreeSWITCH's other templates,
Asterisk's optional columns, detection, the webhook's JSON document and the CSV mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from channels.phone.cdr import CdrError, CdrReading, load_mapping, read_cdr, read_json_cdr
from channels.phone.records import Disposition, RowProblem
from tests.fixtures.phone.build_cdrs import HERE, freeswitch_a_leg

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


def read(text: str, **options: Any) -> CdrReading:
    options.setdefault("timezone", SHANGHAI)
    return read_cdr(text.encode(), name="log.csv", **options)


FS_VALUES = (
    '"张三","13812345678","4008001234","public","2026-10-08 09:00:00","2026-10-08 09:00:05",'
    '"2026-10-08 09:01:00","60","55","NORMAL_CLEARING","u-1","u-2", "acct"'
)


def test_freeswitch_sql_template_reads_the_values_of_each_insert() -> None:
    statement = f"INSERT INTO cdr VALUES ({FS_VALUES});"  # noqa: S608 - the text of a log file, never run
    reading = read(statement + "\nINSERT INTO cdr VALUES (broken);\n")
    assert reading.format == "freeswitch-csv"
    (call,) = reading.calls
    assert (call.call_id, call.caller_name, call.disposition, call.answered_at) == (
        "u-1",
        "张三",
        Disposition.answered,
        utc("2026-10-08 01:00:05"),
    )
    assert reading.problems == [
        RowProblem("log.csv", 2, "1 columns where FreeSWITCH's templates write 13, 15, 17, 18 or 20")
    ]


def test_freeswitch_snom_template_carries_the_recording() -> None:
    line = FS_VALUES + ',"PCMA","PCMA","snom","","rx","tx","/recordings/u-1.wav"\n'
    (call,) = read(line).calls
    assert call.recording_url == "/recordings/u-1.wav"


def test_freeswitch_asterisk_template_is_told_from_asterisk_by_its_cause() -> None:
    fields = [
        "",
        "13812345678",
        "4008001234",
        "public",
        '"李四" <13812345678>',
        "sofia/external/13812345678@10.0.0.1",
        "sofia/internal/sip:1002@10.0.0.5:5060",
        "bridge",
        "user/1002@default",
        "2026-10-08 09:00:00",
        "2026-10-08 09:00:05",
        "2026-10-08 09:01:00",
        "60",
        "55",
        "NORMAL_CLEARING",
        "DOCUMENTATION",
        "u-9",
        "",
    ]
    reading = read(",".join('"' + f.replace('"', '""') + '"' for f in fields) + "\n")
    assert reading.format == "freeswitch-csv"
    (call,) = reading.calls
    assert (call.call_id, call.caller_name, call.agent_extension) == ("u-9", "李四", "1002")


def _asterisk(*extra: str, disposition: str = "ANSWERED", answer: str = '"2026-10-08 09:00:05"') -> str:
    base = (
        '"","13812345678","4008001234","from-trunk","13812345678","SIP/trunk-00000001","SIP/301-00000002",'
        f'"Dial","SIP/301","2026-10-08 09:00:00",{answer},"2026-10-08 09:01:00",60,55,"{disposition}",'
        '"DOCUMENTATION"'
    )
    return ",".join([base, *extra]) + "\n"


def test_asterisk_17_columns_tell_a_uniqueid_from_a_userfield() -> None:
    with_id = read(_asterisk('"pbx-1791382800.7"')).calls[0]
    assert (with_id.call_id, with_id.recording_url) == ("pbx-1791382800.7", None)
    with_field = read(_asterisk('"https://pbx.example/rec/1.wav"')).calls[0]
    assert with_field.call_id.startswith("asterisk-")
    assert with_field.recording_url == "https://pbx.example/rec/1.wav"


def test_an_answered_leg_without_its_answer_time_is_answered_its_talk_time_before_the_end() -> None:
    (call,) = read(_asterisk('"1.1"', '""', answer="")).calls
    assert (call.disposition, call.answered_at) == (Disposition.answered, utc("2026-10-08 01:00:05"))


def test_an_unterminated_quote_is_a_problem_not_an_error() -> None:
    reading = read(_asterisk('"1.1"', '""') + '"","1390000,"oops\n')
    assert len(reading.calls) == 1
    assert [problem.line for problem in reading.problems] == [2]


def test_a_time_with_an_offset_is_kept_and_local_times_follow_the_zone_given() -> None:
    text = _asterisk('"1.1"', '""').replace('"2026-10-08 09:00:00"', '"2026-10-08 09:00:00+02:00"')
    (call,) = read(text, timezone=ZoneInfo("America/New_York")).calls
    assert call.started_at == utc("2026-10-08 07:00:00")
    assert call.ended_at == utc("2026-10-08 13:01:00")  # 09:01 in New York (EDT)


def test_auto_refuses_what_it_cannot_tell_and_says_why() -> None:
    with pytest.raises(CdrError, match="header"):
        read("Call ID,From,To,Start\n1,138,400,2026-10-08 09:00\n")
    with pytest.raises(CdrError, match="cannot tell the format"):
        read("2026-10-08 09:00:00,138,400\n2026-10-08 09:05:00,139,400\n")
    with pytest.raises(CdrError, match="needs a mapping"):
        read("Call ID,From\n", format="csv")
    with pytest.raises(CdrError, match="unknown format"):
        read("", format="excel")
    empty = read(" \n\n")
    assert (empty.format, empty.rows, empty.calls, empty.problems) == ("auto", 0, [], [])


def test_the_same_log_in_utf8_with_a_bom_and_in_gb18030_reads_the_same() -> None:
    text = _asterisk('"1.1"', '""').replace(
        '"13812345678","SIP/trunk', '"""王小明"" <13812345678>","SIP/trunk'
    )
    plain = read_cdr(text.encode(), name="a", timezone=SHANGHAI)
    assert plain.calls[0].caller_name == "王小明"
    assert read_cdr(b"\xef\xbb\xbf" + text.encode(), name="a", timezone=SHANGHAI) == plain
    assert read_cdr(text.encode("gb18030"), name="a", timezone=SHANGHAI) == plain


def test_json_lines_and_arrays_report_bad_documents_by_line() -> None:
    good = json.dumps(json.loads(freeswitch_a_leg()))
    lines = "\n".join([good, '{"variables": {"uuid": "x"}}', "[1]", good.replace("NORMAL", "NOR")])
    reading = read(lines)
    assert (reading.format, reading.rows) == ("freeswitch-json", 4)
    assert len(reading.calls) == 1  # the same a-leg twice is one call
    assert reading.problems == [
        RowProblem("log.csv", 2, "no start time"),
        RowProblem("log.csv", 3, "not a FreeSWITCH JSON CDR (expected an object)"),
    ]
    array = read("[\n" + good + ",\n{broken\n]")
    assert array.rows == 2 and len(array.calls) == 1
    assert array.problems[0].line == 3 and array.problems[0].reason.startswith("not JSON")


def test_read_json_cdr_takes_a_document_raw_or_as_freeswitch_posts_it_encoded() -> None:
    raw = freeswitch_a_leg()
    call = read_json_cdr(raw, timezone=SHANGHAI)
    assert (call.caller, call.agent_extension, call.disposition, call.legs) == (
        "13812345678",
        "1002",
        Disposition.answered,
        1,
    )
    assert call.started_at == utc("2026-10-08 02:30:00")
    assert read_json_cdr(b"cdr=" + quote(raw.decode()).encode(), timezone=SHANGHAI) == call
    for bad, reason in [
        (b"{", "not JSON"),
        (b"[]", "expected an object"),
        (b'{"variables": {}}', "no variables"),
        (b'{"variables": {"uuid": "x", "start_epoch": "20", "end_epoch": "10"}}', "ends before"),
    ]:
        with pytest.raises(CdrError, match=reason):
            read_json_cdr(bad, timezone=SHANGHAI)


def test_epoch_fields_win_over_local_stamps() -> None:
    document = {
        "variables": {
            "uuid": "e-1",
            "caller_id_number": "13812345678",
            "destination_number": "4008001234",
            "start_stamp": "2000-01-01 00:00:00",
            "start_epoch": str(int(utc("2026-10-08 01:00:00").timestamp())),
            "end_uepoch": str(int(utc("2026-10-08 01:05:00").timestamp()) * 1_000_000 + 250_000),
            "hangup_cause": "NO_ANSWER",
        }
    }
    call = read_json_cdr(json.dumps(document).encode(), timezone=SHANGHAI)
    assert call.started_at == utc("2026-10-08 01:00:00")
    assert call.ended_at == utc("2026-10-08 01:05:00.25")
    assert call.disposition is Disposition.no_answer


def test_load_mapping_takes_toml_and_refuses_what_it_cannot_use() -> None:
    mapping = load_mapping(
        b'time_format = "%d.%m.%Y %H:%M"\n[columns]\ncaller = "Von"\nstarted_at = "Beginn"\n'
        b'ended_at = "Ende"\nanswered_at = "Angenommen"\n[dispositions]\n"ok" = "answered"\n',
        name="map.toml",
    )
    end = int(utc("2026-10-08 07:05:00").timestamp())
    text = f"Von,Beginn,Angenommen,Ende,Egal\n0301234,08.10.2026 09:00,08.10.2026 09:00,{end},x\n"
    (call,) = read(text, format="csv", mapping=mapping, timezone=ZoneInfo("Europe/Berlin")).calls
    assert call.started_at == utc("2026-10-08 07:00:00")
    assert call.ended_at == utc("2026-10-08 07:05:00")  # epoch seconds are UTC
    assert call.disposition is Disposition.answered  # no outcome column: answered when answered
    assert call.call_id.startswith("csv-")
    with pytest.raises(CdrError, match="not in the header"):
        read("From,Start\n", format="csv", mapping=mapping)
    for bad, reason in [
        (b"[columns\n", "neither JSON nor TOML"),
        (b'{"columns": {"caller": "a", "started_at": "b", "duration": "c"}, "colour": 1}', "colour"),
        (b'{"columns": {"caller": "a", "started_at": "b"}}', "ended_at or a duration"),
        (
            b'{"columns": {"caller": "a", "started_at": "b", "ended_at": "c"}, "dispositions": {"x": "y"}}',
            "y",
        ),
    ]:
        with pytest.raises(CdrError, match=reason):
            load_mapping(bad, name="map.json")


def test_the_mapping_fixture_is_valid_json() -> None:
    assert json.loads((HERE / "export_mapping.json").read_text())["columns"]["caller"] == "主叫"


def test_the_mapping_documented_in_docs_phone_md_loads() -> None:
    page = (HERE.parents[2] / "docs/phone.md").read_text()
    example = page.split("```toml\n", 1)[1].split("```", 1)[0]
    mapping = load_mapping(example.encode(), name="mapping.toml")
    assert mapping.columns.caller == "主叫" and mapping.dispositions["呼损"] is Disposition.abandoned
    text = (
        "通话编号,主叫,被叫,客户,坐席,队列,开始时间,应答时间,结束时间,通话时长,结果,方向,录音\n"
        "X-1,13812345678,4008001234,张三,,support,2026/10/08 9:10,,2026/10/08 9:12,120,呼损,呼入,\n"
    )
    (call,) = read(text, format="csv", mapping=mapping).calls
    assert (call.call_id, call.disposition, call.direction, call.started_at) == (
        "X-1",
        Disposition.abandoned,
        "inbound",
        utc("2026-10-08 01:10:00"),
    )


def _fs_row(number: str, destination: str, start: str, answer: str, end: str, cause: str, uuid: str) -> str:
    values = [
        "",
        number,
        destination,
        "public",
        start,
        answer,
        end,
        "0",
        "0",
        cause,
        uuid,
        "",
        "",
        "PCMA",
        "PCMA",
    ]
    return ",".join(f'"{value}"' for value in values) + "\n"


def test_two_calls_at_once_from_one_switchboard_number_stay_two_calls() -> None:
    text = _fs_row(
        "02161234567", "4008001234", "2026-10-08 09:00:00", "", "2026-10-08 09:01:00", "NO_ANSWER", "s-1"
    )
    text += _fs_row(
        "02161234567", "4008001234", "2026-10-08 09:00:30", "", "2026-10-08 09:01:30", "NO_ANSWER", "s-2"
    )
    # ... while a phone rung for the first call, which names nobody, is a leg of it.
    text += _fs_row(
        "02161234567", "1002", "2026-10-08 09:00:01", "", "2026-10-08 09:01:00", "ORIGINATOR_CANCEL", "s-3"
    )
    reading = read(text)
    assert [(call.call_id, call.legs) for call in reading.calls] == [("s-1", 2), ("s-2", 1)]
    assert reading.calls[0].disposition is Disposition.no_answer


def test_a_lone_freeswitch_b_leg_in_csv_is_its_own_call_when_nothing_was_ringing() -> None:
    (call,) = read(
        _fs_row("13812345678", "1002", "2026-10-08 09:00:00", "", "2026-10-08 09:00:20", "USER_BUSY", "b-1")
    ).calls
    assert (call.call_id, call.disposition) == ("b-1", Disposition.busy)


def test_out_of_range_times_and_counts_are_problems() -> None:
    text = _asterisk('"1.1"', '""').replace('"2026-10-08 09:00:00"', '"0001-01-01 00:00:00"')
    text += _asterisk('"1.2"', '""', answer="").replace(",55,", ",99999999999999999999,")
    text += _asterisk('"1.3"', '""', answer='"2026-10-08 09:30:00"')
    reading = read(text)
    assert reading.problems == [
        RowProblem("log.csv", 1, "a time that is not a date and time: 0001-01-01 00:00:00 is out of range"),
        RowProblem("log.csv", 3, "the answer time is outside the call"),
    ]
    (call,) = reading.calls
    assert call.answered_at is None and call.disposition is Disposition.answered
