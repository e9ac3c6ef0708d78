"""Duration specs as people write them in policies and on the command line: ``30m``, ``24h``, ``3bd``.

``m``, ``h``, ``d`` are calendar time: elapsed real time, running day and night (``1d`` is 24
hours, even across a DST change). ``bm``, ``bh``, ``bd`` are business minutes, hours and days,
counted only in working time; one business day is the length of the calendar's standard working
day (8 hours for ``cn``), so ``1bd`` from 10:00 ends at 10:00 on the next working day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from hub.errors import InvalidInput

#: Large enough for any promise (100000 minutes is 69 days), small enough to stay far from year 9999.
MAX_AMOUNT = 100_000
#: The API schema states this same expression, so a client can check a duration up front.
PATTERN = r"^[ \t]*0*(100000|[0-9]{1,5})[ \t]*([bB]?)([mhdMHD])[ \t]*$"
_SPEC = re.compile(PATTERN)
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
HELP = "<n>m, <n>h or <n>d for calendar time; <n>bm, <n>bh or <n>bd for business time (e.g. 30m, 24h, 3bd)"


@dataclass(frozen=True)
class DurationSpec:
    amount: int
    unit: str  # m | h | d
    business: bool

    def length(self, business_day: timedelta) -> timedelta:
        """The time to add: business time when ``business``, else elapsed time."""
        if self.business and self.unit == "d":
            return self.amount * business_day
        return self.amount * _UNITS[self.unit]

    def __str__(self) -> str:
        return f"{self.amount}{'b' if self.business else ''}{self.unit}"


_NUMBER_AND_UNIT = re.compile(r"^[ \t]*[0-9]+[ \t]*[bB]?[mhdMHD][ \t]*$")


def parse_duration(text: str) -> DurationSpec:
    match = _SPEC.fullmatch(text)
    if not match:
        if _NUMBER_AND_UNIT.fullmatch(text):
            raise InvalidInput(detail=f"{text!r} is too long; at most {MAX_AMOUNT} units")
        raise InvalidInput(detail=f"{text!r} is not a duration; use {HELP}")
    return DurationSpec(amount=int(match[1]), unit=match[3].lower(), business=bool(match[2]))
