"""The composition root: settings in, a wired Hub and its infrastructure out.

Used by ``hub serve``, ``hub worker``, every CLI command and the tests, so they all resolve the
servers the same way: the configured URLs, else the embedded servers for the data folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import msgspec
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from channels.catalogue import Catalogue
from channels.email.notify import EmailNotificationMailer
from channels.spec import Resources
from hub.config import Settings
from hub.core import Hub
from hub.csat import surveys as csat_surveys
from hub.db import create_engine, create_session_factory
from hub.playbooks import suggestions as playbook_suggestions
from hub.portal import links as portal_links
from hub.ports import JobRequest
from hub.storage import LocalAttachmentStore
from playbooks.catalogue import Catalogue as PlaybookLibrary
from playbooks.catalogue import folders as playbook_folders
from web.embedded import EmbeddedServers
from web.publisher import RedisEventPublisher

log = logging.getLogger(__name__)

JOB_QUEUE = "hub:jobs"


def job_serializer(value: object) -> bytes:
    return msgspec.msgpack.encode(value)


def job_deserializer(data: bytes) -> object:
    return msgspec.msgpack.decode(data)


class ArqJobQueue:
    """:class:`hub.ports.JobQueue` on arq. Job ids make a repeated enqueue a no-op while it is queued."""

    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool

    async def enqueue(self, jobs: list[JobRequest]) -> None:
        for job in jobs:
            await self.pool.enqueue_job(
                job.function,
                *job.args,
                _job_id=job.job_id,
                _defer_by=job.defer_seconds or None,
                _queue_name=JOB_QUEUE,
            )


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    redis_url: str
    engine: AsyncEngine
    redis: Redis
    arq: ArqRedis
    http: httpx.AsyncClient
    hub: Hub
    embedded: EmbeddedServers | None
    #: The channel kinds, connected on first use: their senders, jobs, routes and watchers.
    channels: Catalogue

    @property
    def uses_embedded(self) -> bool:
        return self.embedded is not None


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 5
    return settings


def resolve_servers(settings: Settings, *, database: str = "hub") -> tuple[Settings, EmbeddedServers | None]:
    """Settings with both server URLs filled in, starting (or attaching to) embedded ones as needed.

    The caller owns the returned servers and must ``release()`` them when done.
    """
    if settings.database_url and settings.redis_url:
        return settings, None
    embedded = EmbeddedServers(
        settings.data_dir, database=database, postgres=not settings.database_url, redis=not settings.redis_url
    )
    urls = embedded.acquire()
    resolved = dataclasses.replace(
        settings,
        database_url=settings.database_url or urls.database_url,
        redis_url=settings.redis_url or urls.redis_url,
    )
    return resolved, embedded


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, *, database: str = "hub") -> AsyncIterator[Runtime]:
    settings, embedded = await asyncio.to_thread(resolve_servers, settings, database=database)
    database_url, redis_url = settings.database_url, settings.redis_url
    assert database_url and redis_url
    engine = create_engine(database_url)
    redis = Redis.from_url(redis_url)
    arq_pool = await create_pool(
        redis_settings(redis_url),
        job_serializer=job_serializer,
        job_deserializer=job_deserializer,
        default_queue_name=JOB_QUEUE,
    )
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)
    storage = LocalAttachmentStore(settings.attachments_dir)
    channels = Catalogue(Resources(settings=settings, http=http, redis=redis, storage=storage))
    hub = Hub(
        settings=settings,
        session_factory=create_session_factory(engine),
        publisher=RedisEventPublisher(redis),
        jobs=ArqJobQueue(arq_pool),
        storage=storage,
        channels=channels,
        playbooks=PlaybookLibrary(playbook_folders(settings.playbooks_dir or "")),
    )
    channels.bind(hub)
    channels.subscribe(hub.bus)
    playbook_suggestions.subscribe(hub.bus)
    csat_surveys.subscribe(hub.bus)
    portal_links.subscribe(hub.bus)
    # Staff notifications also go out by e-mail once a mailbox is marked ``notifications``.
    hub.mailer = EmailNotificationMailer(hub)
    try:
        yield Runtime(
            settings=settings,
            database_url=database_url,
            redis_url=redis_url,
            engine=engine,
            redis=redis,
            arq=arq_pool,
            http=http,
            hub=hub,
            embedded=embedded,
            channels=channels,
        )
    finally:
        await http.aclose()
        await arq_pool.aclose()
        await redis.aclose()
        await engine.dispose()
        if embedded is not None:
            stopped = await asyncio.to_thread(embedded.release)
            if stopped:
                log.info("embedded PostgreSQL and Redis stopped")
