"""Wall-clock time to real instants, with the daylight-saving rules written down.

Working periods are wall-clock times ("09:00-12:00 in New York"); the arithmetic runs on real
instants. Where the wall clock is not one-to-one:

* **Skipped times** (spring forward, e.g. America/New_York 2026-03-08 02:00-03:00 does not
  exist): a boundary that falls in the gap is moved to the instant the clock jumps, i.e. it reads
  03:00. A night shift 00:00-06:00 that day therefore holds 5 business hours, and a period lying
  wholly inside the gap holds none.
* **Repeated times** (fall back, 2026-11-01 01:00-02:00 happens twice): a boundary takes the first
  occurrence (``fold=0``). The night shift 00:00-06:00 that day holds 7 business hours.

So a period always contributes the real time that passes between its two boundaries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_ONE_SECOND = timedelta(seconds=1)


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def wall_to_utc(zone: ZoneInfo, day: date, seconds: int) -> datetime:
    """The UTC instant at which a clock in ``zone`` shows ``day`` + ``seconds`` (see module rules)."""
    naive = datetime.combine(day, time()) + timedelta(seconds=seconds)
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    if _wall(first, zone) == naive:
        return first
    # In a gap, fold=1 maps with the offset after the jump (an instant before it) and fold=0 with
    # the offset before (an instant after it); the jump is the first instant whose wall time is
    # past ``naive``. Transitions fall on whole seconds, so bisect on seconds (about 12 steps).
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    while high - low > _ONE_SECOND:
        middle = low + (high - low) // 2
        middle -= timedelta(microseconds=middle.microsecond)
        if middle <= low:
            break
        if _wall(middle, zone) > naive:
            high = middle
        else:
            low = middle
    return high
