"""A transaction plus the side effects that may only happen once it commits.

Domain events (:meth:`UnitOfWork.emit`) and jobs are collected while the use-case
runs. The event bus's before-commit subscribers (the audit trail) write in the transaction; after
``commit()`` the jobs go to the queue and the after-commit subscribers (live updates, follow-ups)
run (Zulip's ``send_event_on_commit``): a subscriber never hears of a ticket it cannot read yet,
and a rolled-back reply never reaches the delivery worker. What a rolled-back savepoint collected
is discarded with it (:meth:`UnitOfWork.savepoint`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.events import DomainEvent
from hub.ports import JobRequest

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)


#: Where commits hand their after-commit events instead of running the subscribers at once
#: (:func:`held_after_commit`).
_held: ContextVar[list[DomainEvent] | None] = ContextVar("held_after_commit", default=None)


@contextmanager
def held_after_commit() -> Iterator[list[DomainEvent]]:
    """Within the block, each commit's events are appended to the yielded list instead of being
    heard by the after-commit subscribers; the caller runs them (``hub.bus.run_after_commit``),
    once, after the block.

    A bulk importer runs a batch's subscribers (metric samples, playbook suggestions, live updates)
    beside the next batch's processing, on a connection of their own, instead of between the two:
    they still hear every event, once, after its commit, and batch after batch in order."""
    held: list[DomainEvent] = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


class UnitOfWork:
    session: AsyncSession

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._jobs: list[JobRequest] = []
        self._emitted: list[DomainEvent] = []

    async def __aenter__(self) -> UnitOfWork:
        self.session = self.hub.session_factory()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back anything uncommitted but, unlike rollback(), leaves the loaded objects
        # readable (detached, not expired), so use-cases can return what they loaded.
        await self.session.close()
        self._jobs.clear()
        self._emitted.clear()

    def emit(self, event: DomainEvent) -> None:
        """Raise a domain event: its subscribers hear of it when (and only if) this unit commits."""
        self._emitted.append(event)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction whose events and jobs are discarded with it when it rolls back."""
        marks = len(self._emitted), len(self._jobs)
        try:
            async with self.session.begin_nested():
                yield
        except BaseException:
            del self._emitted[marks[0] :]
            del self._jobs[marks[1] :]
            raise

    def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer_seconds: float = 0.0
    ) -> None:
        self._jobs.append(
            JobRequest(function=function, args=args, job_id=job_id, defer_seconds=defer_seconds)
        )

    async def commit(self) -> None:
        emitted = self._emitted
        if emitted:
            await self.hub.bus.run_before_commit(self, emitted)
        await self.session.commit()
        jobs = self._jobs
        self._jobs, self._emitted = [], []
        # Both are best effort: the database is the truth. A lost job is re-driven by the outbox
        # sweeper, a lost live update by the next inbox refresh; neither may undo the commit.
        if jobs:
            try:
                await self.hub.jobs.enqueue(jobs)
            except Exception:
                log.exception(
                    "enqueueing %d job(s) after commit failed; the sweeper will re-drive them", len(jobs)
                )
        held = _held.get()
        if emitted and held is not None:
            held.extend(emitted)
        elif emitted:
            await self.hub.bus.run_after_commit(self.hub, emitted)
