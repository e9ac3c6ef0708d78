"""The dashboards' inline SVG charts: users' own text (team and client names) is escaped, nothing
the strict Content-Security-Policy refuses is drawn, and every bar and point prints its number."""

from __future__ import annotations

from web.pages import charts
from web.pages.dashboard import duration_text
from web.pages.text import Translator

HOSTILE = '<script>alert(1)</script>" onmouseover="x'


def test_bars_escape_labels_print_their_numbers_and_link_to_the_samples() -> None:
    svg = charts.percent_bars(
        "promises",
        [
            charts.Bar(HOSTILE, 66.7, 100.0, "/dashboard/samples?promise=chat_response&outcome=met"),
            charts.Bar("空", None),
        ],
        now_label="本期",
        before_label="上期",
        empty="暂无数据",
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg and '" onmouseover' not in svg
    assert "style=" not in svg and "<style" not in svg
    assert ">66.7%<" in svg and ">100.0%<" in svg and "暂无数据" in svg
    assert 'href="/dashboard/samples?promise=chat_response&amp;outcome=met"' in svg


def test_the_daily_line_breaks_where_nothing_was_measured() -> None:
    points = [
        charts.Point("03-01", 50.0, 2),
        charts.Point("03-02", None),
        charts.Point("03-03", 100.0, 1, "/x"),
    ]
    svg = charts.percent_line("daily", points, axis_label="%", empty="-")
    assert "<polyline" not in svg, "two lone days are dots, not a line through the gap"
    assert svg.count("<circle") == 2 and ">50.0%<" in svg and ">100.0%<" in svg
    hours = charts.hour_bars("slow", [charts.Bar(HOSTILE, 2.5, text="2.5 h")], unit="h")
    assert "&lt;script&gt;" in hours and ">2.5 h<" in hours


def test_durations_read_as_people_say_them() -> None:
    zh, en = Translator("zh-CN"), Translator("en")
    assert duration_text(en, None) == "—"
    assert duration_text(en, 45) == "45 s" and duration_text(zh, 200) == "3 分 20 秒"
    assert duration_text(en, 9000) == "2.5 h" and duration_text(en, 129600) == "1.5 days"
