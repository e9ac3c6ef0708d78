"""How the monthly review writes a breach's lateness (business time), in both languages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from web.monthly_review import Formats
from web.pages.text import Translator


@pytest.mark.parametrize(
    ("locale", "seconds", "shown"),
    [
        # Due at the end of the working day, answered that evening: late, by no business time.
        ("zh-CN", 0.0, "不到 1 分钟"),
        ("en", 0.0, "under 1 min"),
        ("zh-CN", 59.0, "不到 1 分钟"),
        ("zh-CN", 60.0, "1 分钟"),
        ("en", 150.0, "2 min"),
        ("zh-CN", 3 * 3600.0, "3.0 小时"),
    ],
)
def test_a_breach_is_never_late_by_zero_minutes(locale: str, seconds: float, shown: str) -> None:
    formats = Formats(Translator(locale), ZoneInfo("Asia/Shanghai"), "https://hub.example")
    assert formats.late(seconds) == shown
