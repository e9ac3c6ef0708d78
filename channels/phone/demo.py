"""The demo's phone line (``hub serve --demo``, ``hub seed-demo``): its extensions mapped and a day
of its PBX's log imported the way ``hub ingest phone`` imports one, with a missed call and the
callback that answered it, a call taken in the after-sales queue and a call between two desks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from channels.phone import extensions, lines
from channels.phone.importer import Sourced, Summary, import_calls
from channels.phone.records import CallRecord, Disposition
from hub.actors import CLI
from hub.core import Hub
from hub.domain import ChannelKind
from hub.models import Channel, User

_BEIJING = ZoneInfo("Asia/Shanghai")
#: Extension → the demo user who answers on it.
EXTENSIONS = {"8001": "agent1@demo.test", "8002": "agent2@demo.test"}


def _at(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=_BEIJING).astimezone(UTC)


def _calls(day: date) -> list[CallRecord]:
    def call(
        call_id: str, start: str, caller: str, callee: str, disposition: Disposition, **more: object
    ) -> CallRecord:
        started = _at(day, start)
        answered = started + timedelta(seconds=18) if disposition is Disposition.answered else None
        length = timedelta(minutes=4) if answered else timedelta(seconds=40)
        return CallRecord(
            call_id=f"demo-pbx-{call_id}",
            caller=caller,
            callee=callee,
            started_at=started,
            answered_at=answered,
            ended_at=started + length,
            disposition=disposition,
            **more,  # type: ignore[arg-type]
        )

    return [
        # A client's call nobody picked up, and the callback that reached them two minutes later.
        call(
            "1001",
            "10:15",
            "13912345678",
            "4008001234",
            Disposition.no_answer,
            caller_name="赵磊 Zhao Lei",
            queue="售后",
        ),
        call("1002", "10:17", "8002", "13912345678", Disposition.answered, legs=2),
        # A call taken in the after-sales queue, with its recording.
        call(
            "1003",
            "14:40",
            "02161234567",
            "4008001234",
            Disposition.answered,
            agent_extension="8001",
            queue="售后",
            recording_url="https://pbx.demo.test/recordings/1003.wav",
            legs=3,
        ),
        # A colleague calling another desk: kept in the line's log, on no ticket.
        call("1004", "16:05", "8001", "8002", Disposition.answered),
    ]


async def seed_calls(hub: Hub) -> str:
    """Map the demo line's extensions and import yesterday's calls (again: nothing changes)."""
    async with hub.uow() as uow:
        channel_id = await uow.session.scalar(
            sa.select(Channel.id)
            .where(Channel.kind == ChannelKind.PHONE)
            .order_by(Channel.created_at)
            .limit(1)
        )
        present = set(
            await uow.session.scalars(sa.select(User.email).where(User.email.in_(EXTENSIONS.values())))
        )
    if channel_id is None or present != set(EXTENSIONS.values()):
        return "no demo phone line"
    for extension, email in EXTENSIONS.items():
        await extensions.map_extension(hub, CLI, channel_id, extension, email)
    yesterday = datetime.now(_BEIJING).date() - timedelta(days=1)
    summary = await import_calls(
        hub, await lines.load(hub, channel_id), [Sourced(c, "demo") for c in _calls(yesterday)], Summary()
    )
    return f"demo phone line: {summary.created} calls opened tickets, {summary.threaded} joined one"
