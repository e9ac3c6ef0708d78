"""The bell's live signal reaches the people told and nobody else, and says nothing of the news."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hub import notifications, realtime


def test_people_told_hear_it_on_their_own_channel_only() -> None:
    told, twice = uuid.uuid4(), uuid.uuid4()
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    rows = notifications.rows_for(
        [told, twice], kind="sla_breached", ticket_id=uuid.uuid4(), params={}, now=now
    )
    event = notifications.PeopleTold(at=now, rows=(*rows, *rows))
    live = event.live()
    assert live is not None and live.name == "notification.created"
    assert live.channels == (realtime.person(told), realtime.person(twice))
    assert realtime.STAFF not in live.channels and live.data == {}
    assert notifications.PeopleTold(at=now, rows=()).live() is None
