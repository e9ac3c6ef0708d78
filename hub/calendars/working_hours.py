"""Whether staff are inside their working hours, for routing.

A person's working hours are their team's calendar (``teams.calendar``: weekly periods, China's
holidays and make-up days for ``cn``) read in the person's own time zone, so "09:00-18:00" is
nine to six where the agent sits. Working hours are opt-in per team: a team without a calendar
(a 24/7 chat desk), and anyone outside a team, are never "outside working hours" — presence alone
decides for them, as before. Presence stays each agent's own say on top of the calendar:
``away`` inside working hours still takes no tickets.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hub.calendars import names
from hub.calendars import service as calendars
from hub.calendars.arithmetic import is_working
from hub.calendars.model import Calendar
from hub.errors import NotFound

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Schedule:
    """What decides one person's working hours: their team's calendar (if it has one) and zone."""

    user_id: uuid.UUID
    #: The team's calendar name; ``None`` (no team, or a team without one): always working.
    calendar: str | None
    time_zone: str


class _Calendars:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._found: dict[tuple[str, str], Calendar] = {}

    async def get(self, name: str, time_zone: str) -> Calendar:
        key = (name, time_zone)
        if key not in self._found:
            try:
                base = await calendars.calendar_in(self.session, name)
            except NotFound:
                log.warning("team calendar %r not found; routing uses %r", name, names.DEFAULT)
                base = await calendars.calendar_in(self.session, names.DEFAULT)
            self._found[key] = _in_zone(base, time_zone)
        return self._found[key]


def _in_zone(calendar: Calendar, time_zone: str) -> Calendar:
    try:
        zone = ZoneInfo(time_zone)
    except (ValueError, KeyError):
        return calendar
    return calendar if zone == calendar.zone else dataclasses.replace(calendar, zone=zone)


async def working_now(session: AsyncSession, schedules: Iterable[Schedule], now: datetime) -> set[uuid.UUID]:
    """The people among ``schedules`` who are inside their working hours at ``now``."""
    found = _Calendars(session)
    working: set[uuid.UUID] = set()
    for schedule in schedules:
        if schedule.calendar is None or is_working(
            await found.get(schedule.calendar, schedule.time_zone), now
        ):
            working.add(schedule.user_id)
    return working
