"""Working periods: the ``09:00-12:00`` pieces a working day is made of.

A period is wall-clock time on one local day, kept as seconds since midnight so that ``24:00``
(a shift that runs to midnight) is expressible and comparisons are plain integer maths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

from hub.errors import InvalidInput

DAY_SECONDS = 24 * 3600
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _clock_seconds(text: str) -> int:
    match = _CLOCK.match(text)
    if not match:
        raise InvalidInput(detail=f"{text.strip()!r} is not a time of day (use HH:MM, e.g. 09:00)")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise InvalidInput(detail=f"{text.strip()!r} is not a time of day between 00:00 and 24:00")
    return hours * 3600 + minutes * 60


def _clock_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


@dataclass(frozen=True, order=True)
class Period:
    """Working time ``[start, end)`` on one local day, in wall-clock seconds since midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= DAY_SECONDS:
            raise InvalidInput(detail=f"a working period must run forwards within one day, got {self}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"09:00-12:00"``; ``24:00`` may end a period."""
        start, sep, end = text.partition("-")
        if not sep:
            raise InvalidInput(detail=f"{text.strip()!r} is not a period (use HH:MM-HH:MM, e.g. 09:00-12:00)")
        return cls(_clock_seconds(start), _clock_seconds(end))

    @property
    def length(self) -> timedelta:
        """Length on the wall clock (a period crossing a DST jump lasts longer or shorter in reality)."""
        return timedelta(seconds=self.end - self.start)

    def __str__(self) -> str:
        return f"{_clock_text(self.start)}-{_clock_text(self.end)}"


def check_periods(periods: Iterable[Period]) -> tuple[Period, ...]:
    """Sorted periods of one day; overlapping periods are refused (touching ones are fine)."""
    ordered = tuple(sorted(periods))
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise InvalidInput(detail=f"working periods {before} and {after} overlap")
    return ordered


def parse_periods(text: str) -> tuple[Period, ...]:
    """``"09:00-12:00,13:00-18:00"`` (commas or spaces); an empty text is a day off."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    return check_periods(Period.parse(p) for p in parts)


def format_periods(periods: tuple[Period, ...]) -> str:
    return " ".join(str(p) for p in periods) or "off"
