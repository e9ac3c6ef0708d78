"""The container the use cases run in: settings, the database, and the ports to the outside world.

``Hub`` holds what every use case needs and does nothing itself: the use cases are the functions
of the domain modules, called with the hub (``ingest.ingest(hub, message)``,
``delivery.deliver(hub, outbox_id)``), so the core has no object that imports its own services.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.config import Settings
from hub.events import EventBus
from hub.events.subscribers import core_bus
from hub.ports import (
    AttachmentStore,
    ChannelCatalogue,
    Clock,
    EventPublisher,
    JobQueue,
    NoPlaybooks,
    NotificationMailer,
    PlaybookCatalogue,
    SystemClock,
)
from hub.uow import UnitOfWork

if TYPE_CHECKING:
    pass


@dataclass
class Hub:
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    publisher: EventPublisher
    jobs: JobQueue
    storage: AttachmentStore
    #: The channel kinds this build ships: their settings schemas and senders.
    channels: ChannelCatalogue
    clock: Clock = field(default_factory=SystemClock)
    #: The playbook library (``playbooks/``, wired by the composition root); none by default.
    playbooks: PlaybookCatalogue = field(default_factory=NoPlaybooks)
    #: E-mail for staff notifications; ``None`` keeps them in-app only.
    mailer: NotificationMailer | None = None
    #: Who hears of the domain events the use cases raise (:mod:`hub.events`); composition roots
    #: add the channels' subscribers to the core's.
    bus: EventBus = field(default_factory=core_bus)
    #: Per channel, the processing tick this process last queued a job for: a push channel's later
    #: pushes in the same tick skip asking Redis (:func:`hub.intake.ingest.store`).
    queued_ticks: dict[uuid.UUID, int] = field(default_factory=dict, repr=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self)
