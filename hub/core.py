"""The hub facade: everything the outer layers may ask of the core, wired to its ports."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.config import Settings
from hub.errors import HubError
from hub.events import EventBus
from hub.events.subscribers import core_bus
from hub.inbound import InboundMessage, IngestResult, StoredBatch, StoredInbound
from hub.ports import (
    AttachmentStore,
    ChannelCatalogue,
    Clock,
    EventPublisher,
    JobQueue,
    NotificationMailer,
    SystemClock,
)
from hub.uow import UnitOfWork

if TYPE_CHECKING:
    from hub.services.ingest import StoredMany


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
    #: E-mail for staff notifications; ``None`` keeps them in-app only.
    mailer: NotificationMailer | None = None
    #: Who hears of the domain events the use cases raise (:mod:`hub.events`); composition roots
    #: add the channels' subscribers to the core's.
    bus: EventBus = field(default_factory=core_bus)
    #: Per channel, the processing tick this process last queued a job for: a push channel's later
    #: pushes in the same tick skip asking Redis (:func:`hub.services.ingest.store`).
    queued_ticks: dict[uuid.UUID, int] = field(default_factory=dict, repr=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self)

    async def ingest(self, message: InboundMessage, *, payload: bytes | None = None) -> IngestResult:
        """Store raw, then turn one inbound message into a ticket message (idempotent)."""
        from hub.services.ingest import ingest

        return await ingest(self, message, payload=payload)

    async def ingest_many(
        self, items: Sequence[tuple[InboundMessage, bytes | None]]
    ) -> list[IngestResult | HubError]:
        """:meth:`ingest` for a batch, in order, set-based: one result (or the error ``ingest`` would
        have raised) per item. For bulk importers; see :mod:`hub.services.ingest_engine`."""
        from hub.services.ingest import ingest_many

        return await ingest_many(self, items)

    async def store_many(self, items: Sequence[tuple[InboundMessage, bytes | None]]) -> StoredMany:
        """The first half of :meth:`ingest_many`: commit the batch raw. A bulk importer stores the
        next batch while this one is processed (:meth:`process_many`, in batch order)."""
        from hub.services.ingest import store_many

        return await store_many(self, items)

    async def process_many(self, stored: StoredMany) -> list[IngestResult | HubError]:
        """The second half of :meth:`ingest_many`: one result per item given to :meth:`store_many`."""
        from hub.services.ingest import process_many

        return await process_many(self, stored)

    async def store_inbound(
        self, message: InboundMessage, *, payload: bytes | None = None, process_later: bool = True
    ) -> StoredInbound:
        """Commit the payload raw and queue its processing: for channels that must answer at once."""
        from hub.services.ingest import store

        return await store(self, message, payload=payload, process_later=process_later)

    async def process_stored(self, raw_id: uuid.UUID) -> StoredBatch:
        """Process ``raw_id`` with whatever else its channel stored and left unprocessed, in one
        batch (:func:`hub.services.ingest.process_stored`): the push channels' job."""
        from hub.services.ingest import process_stored

        return await process_stored(self, raw_id)

    async def retry_inbound(self, raw_id: uuid.UUID) -> IngestResult:
        from hub.services.ingest import process_raw

        return await process_raw(self, raw_id)

    async def deliver(self, outbox_id: uuid.UUID) -> str:
        from hub.services.delivery import deliver

        return await deliver(self, outbox_id)

    async def redrive_outbox(self, **kwargs: Any) -> int:
        from hub.services.delivery import redrive

        return await redrive(self, **kwargs)
