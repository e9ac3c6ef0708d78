"""Typed domain events and the bus that hands them to their subscribers.

A use case changes state, appends to the ticket's own log (:mod:`hub.tickets.timeline`: that log
*is* the ticket's history, read by the SLA clocks inside the same transaction) and raises one typed
event with :meth:`hub.uow.UnitOfWork.emit`. Everything that merely *reacts* (the audit trail,
live updates, follow-up jobs, and later playbooks, CSAT surveys and report projections) subscribes
to the event type on the :class:`~hub.events.bus.EventBus` instead of being called by the use case.
"""

from hub.events.base import AuditLine, DomainEvent, TicketRef
from hub.events.bus import AFTER_COMMIT, BEFORE_COMMIT, EventBus

__all__ = ["AFTER_COMMIT", "BEFORE_COMMIT", "AuditLine", "DomainEvent", "EventBus", "TicketRef"]
