"""``UnitOfWork``: what a rolled-back savepoint collected is never announced nor queued; events held by a bulk importer are heard when it runs them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.events import DomainEvent
from hub.models import Team
from hub.ports import JobRequest, RealtimeEvent
from hub.uow import held_after_commit

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@dataclass(frozen=True, kw_only=True, slots=True)
class Announced(DomainEvent):
    name: str

    def live(self) -> RealtimeEvent:
        return RealtimeEvent(name=self.name, channels=("all",), data={})


def announced(name: str) -> Announced:
    return Announced(at=datetime(2026, 3, 2, tzinfo=UTC), name=name)


class Recorder:
    def __init__(self) -> None:
        self.events: list[RealtimeEvent] = []
        self.jobs: list[JobRequest] = []

    async def publish(self, events: list[RealtimeEvent]) -> None:
        self.events.extend(events)

    async def enqueue(self, jobs: list[JobRequest]) -> None:
        self.jobs.extend(jobs)


async def test_a_failed_savepoint_takes_its_rows_events_and_jobs_with_it(hub: Hub) -> None:
    recorder = Recorder()
    hub = dataclasses.replace(hub, publisher=recorder, jobs=recorder)
    async with hub.uow() as uow:
        uow.session.add(Team(name="kept"))
        uow.emit(announced("kept"))
        uow.enqueue("kept_job")
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                uow.session.add(Team(name="undone"))
                await uow.session.flush()
                uow.emit(announced("undone"))
                uow.enqueue("undone_job")
                raise RuntimeError("boom")
        async with uow.savepoint():
            uow.emit(announced("after"))
        await uow.commit()
    assert [e.name for e in recorder.events] == ["kept", "after"]
    assert [j.function for j in recorder.jobs] == ["kept_job"]
    async with hub.uow() as uow:
        assert list(await uow.session.scalars(sa.select(Team.name))) == ["kept"]


async def test_held_events_are_heard_only_when_the_holder_runs_them(hub: Hub) -> None:
    """``held_after_commit``: a bulk importer takes a batch's events from its commit and runs the
    after-commit subscribers itself, beside its next batch; nothing is heard twice or lost."""
    recorder = Recorder()
    hub = dataclasses.replace(hub, publisher=recorder, jobs=recorder)
    with held_after_commit() as held:
        async with hub.uow() as uow:
            uow.session.add(Team(name="held"))
            uow.emit(announced("first"))
            uow.emit(announced("second"))
            uow.enqueue("held_job")
            await uow.commit()
    assert recorder.events == [] and [e.name for e in held] == ["first", "second"]
    assert [j.function for j in recorder.jobs] == ["held_job"]  # jobs go to the queue as always
    await hub.bus.run_after_commit(hub, held)
    async with hub.uow() as uow:  # outside the block, commits are heard at once again
        uow.emit(announced("after"))
        await uow.commit()
    assert [e.name for e in recorder.events] == ["first", "second", "after"]
