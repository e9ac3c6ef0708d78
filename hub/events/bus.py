"""The event bus: subscribers by event type, run before or after the unit of work commits.

Two phases, because reactions differ in what they may risk:

- ``BEFORE_COMMIT`` handlers write in the same transaction (the audit trail: a change and the line
  that records it commit together or not at all). They get every pending event of their type at
  once, so a batch of 500 ingested messages is one set-based insert, not 500.
- ``AFTER_COMMIT`` handlers do what must not happen for a change that rolled back (live updates,
  jobs). They are best effort: the database is the truth, and a failing handler is logged and does
  not undo the commit or stop the other handlers.

Events raised inside a savepoint that rolls back are discarded with it
(:meth:`hub.uow.UnitOfWork.savepoint`), so neither phase ever hears of them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from hub.events.base import DomainEvent

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.uow import UnitOfWork

log = logging.getLogger(__name__)

Phase = Literal["before_commit", "after_commit"]
BEFORE_COMMIT: Phase = "before_commit"
AFTER_COMMIT: Phase = "after_commit"

E = TypeVar("E", bound=DomainEvent)
BeforeCommit = Callable[["UnitOfWork", Sequence[Any]], Awaitable[None]]
AfterCommit = Callable[["Hub", Sequence[Any]], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._before: list[tuple[type[DomainEvent], BeforeCommit]] = []
        self._after: list[tuple[type[DomainEvent], AfterCommit]] = []

    def before_commit(
        self, event_type: type[E], handler: Callable[[UnitOfWork, Sequence[E]], Awaitable[None]]
    ) -> None:
        """Subscribe ``handler`` to ``event_type`` and its subclasses, inside the transaction."""
        self._before.append((event_type, handler))

    def after_commit(
        self, event_type: type[E], handler: Callable[[Hub, Sequence[E]], Awaitable[None]]
    ) -> None:
        """Subscribe ``handler`` to ``event_type`` and its subclasses, once the transaction committed."""
        self._after.append((event_type, handler))

    async def run_before_commit(self, uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
        for event_type, handler in self._before:
            matching = [event for event in events if isinstance(event, event_type)]
            if matching:
                await handler(uow, matching)

    async def run_after_commit(self, hub: Hub, events: Sequence[DomainEvent]) -> None:
        for event_type, handler in self._after:
            matching = [event for event in events if isinstance(event, event_type)]
            if not matching:
                continue
            try:
                await handler(hub, matching)
            except Exception:
                log.exception(
                    "%s failed on %d %s event(s) after commit",
                    getattr(handler, "__qualname__", handler),
                    len(matching),
                    event_type.__name__,
                )
