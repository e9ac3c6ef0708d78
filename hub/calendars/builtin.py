"""Named calendars: the built-in ``cn``, and how a stored calendar is assembled from its base.

A calendar is its weekly schedule and zone, the days of its base (``cn``: China's statutory
holidays and make-up workdays, or none), and the administrator's day overrides on top, which win.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.calendars import china
from hub.calendars.model import Calendar, SpecialDay
from hub.calendars.weekly import Week, office_week
from hub.errors import InvalidInput

BASES = ("cn",)
BUILTIN = ("cn",)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(detail=f"{name!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None


def cn_week() -> Week:
    return office_week(*china.PERIODS)


def assemble(
    name: str, time_zone: str, week: Week, base: str | None, days: Iterable[SpecialDay] = ()
) -> Calendar:
    if base is None:
        calendar = Calendar(name=name, zone=zone(time_zone), week=week)
    elif base == "cn":
        calendar = Calendar(
            name=name,
            zone=zone(time_zone),
            week=week,
            special_days=china.statutory_days(),
            known_years=frozenset(china.covered_years()),
            source=china.describe_source(),
        )
    else:
        raise InvalidInput(detail=f"unknown calendar base {base!r}; known: {', '.join(BASES)} or none")
    return calendar.with_days(days)


def builtin(name: str) -> Calendar | None:
    """The calendars that exist without a database row (only ``cn``)."""
    return _cn() if name == "cn" else None


@cache
def _cn() -> Calendar:
    """One shared instance, so its per-day cache serves every caller (calendars are immutable)."""
    return assemble("cn", china.ZONE, cn_week(), "cn")
