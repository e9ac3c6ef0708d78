"""A transaction plus the side effects that may only happen once it commits.

Realtime events and jobs are collected while the use-case runs and handed to the publisher and
the queue after ``commit()`` (Zulip's ``send_event_on_commit``): a subscriber never hears of a
ticket it cannot read yet, and a rolled-back reply never reaches the delivery worker.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.ports import JobRequest, RealtimeEvent

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)


class UnitOfWork:
    session: AsyncSession

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._events: list[RealtimeEvent] = []
        self._jobs: list[JobRequest] = []

    async def __aenter__(self) -> UnitOfWork:
        self.session = self.hub.session_factory()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back anything uncommitted but, unlike rollback(), leaves the loaded objects
        # readable (detached, not expired), so use-cases can return what they loaded.
        await self.session.close()
        self._events.clear()
        self._jobs.clear()

    def publish(self, name: str, channels: list[str] | tuple[str, ...], **data: Any) -> None:
        self._events.append(RealtimeEvent(name=name, channels=tuple(channels), data=data))

    def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer_seconds: float = 0.0
    ) -> None:
        self._jobs.append(
            JobRequest(function=function, args=args, job_id=job_id, defer_seconds=defer_seconds)
        )

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction whose side effects share its fate.

        On an exception the savepoint is rolled back and the realtime events and jobs collected
        inside it are dropped, so nothing of the undone work is announced or queued after the
        outer commit; the exception propagates.
        """
        events, jobs = len(self._events), len(self._jobs)
        try:
            async with self.session.begin_nested():
                yield
        except BaseException:
            del self._events[events:]
            del self._jobs[jobs:]
            raise

    async def commit(self) -> None:
        await self.session.commit()
        events, jobs = self._events, self._jobs
        self._events, self._jobs = [], []
        # Both are best effort: the database is the truth. A lost job is re-driven by the outbox
        # sweeper, a lost event by the next inbox refresh; neither may undo the commit.
        if jobs:
            try:
                await self.hub.jobs.enqueue(jobs)
            except Exception:
                log.exception(
                    "enqueueing %d job(s) after commit failed; the sweeper will re-drive them", len(jobs)
                )
        if events:
            try:
                await self.hub.publisher.publish(events)
            except Exception:
                log.exception("publishing %d realtime event(s) failed", len(events))
