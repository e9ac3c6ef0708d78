"""China's statutory holidays and make-up workdays (调休), from the ``chinese_calendar`` package.

The State Council publishes each year's schedule in the winter before; ``chinese_calendar``
(PyPI ``chinesecalendar``, MIT) ships the years it has so far. Years outside its range are not
guessed: the calendar reports them as unknown, and an administrator enters the new schedule as
day overrides (``hub calendar set-day``).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib.metadata import version

from chinese_calendar import constants

from hub.calendars.model import DayKind, SpecialDay

SOURCE = "chinese_calendar"
ZONE = "Asia/Shanghai"
PERIODS = ("09:00-12:00", "13:00-18:00")

_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _label(name: object, kind: DayKind) -> str:
    english = str(getattr(name, "value", name) or "")
    chinese = _ZH.get(english, "")
    if kind is DayKind.WORKDAY:
        return f"{chinese}调休上班 {english} make-up workday".strip()
    return f"{chinese} {english}".strip()


@cache
def covered_years() -> range:
    """The years ``chinese_calendar`` has schedules for (it refuses dates outside this range)."""
    years = [d.year for d in constants.holidays]
    return range(min(years), max(years) + 1)


@cache
def statutory_days() -> dict[date, SpecialDay]:
    """Every holiday and make-up workday the installed ``chinese_calendar`` knows."""
    days = {
        day: SpecialDay(day, DayKind.HOLIDAY, note=_label(name, DayKind.HOLIDAY), source=SOURCE)
        for day, name in constants.holidays.items()
    }
    days.update(
        {
            day: SpecialDay(day, DayKind.WORKDAY, note=_label(name, DayKind.WORKDAY), source=SOURCE)
            for day, name in constants.workdays.items()
        }
    )
    return days


def describe_source() -> str:
    years = covered_years()
    return f"{SOURCE} {version('chinesecalendar')} ({years.start}-{years.stop - 1})"
