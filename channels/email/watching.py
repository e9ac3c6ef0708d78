"""All the watched mailboxes of one worker process: a :class:`MailboxWatcher` task per mailbox.

Run by ``hub worker`` and by the in-process worker of ``hub serve``. The set of mailboxes is read
again every ``refresh_seconds``: a mailbox added, changed (new host, password variable...) or
disabled is picked up, restarted or stopped without restarting the worker. Every replica runs
this; the per-mailbox lease decides which one actually watches.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from redis.asyncio import Redis

from channels.email.config import MailboxConfig
from channels.email.ingest import EmailIngest, RedisClaims
from channels.email.watcher import MailboxWatcher, WatchOptions
from hub.core import Hub
from hub.domain import ChannelKind
from hub.intake.channel_instances import list_channels

log = logging.getLogger(__name__)


class MailboxWatchers:
    def __init__(
        self,
        hub: Hub,
        redis: Redis,
        *,
        refresh_seconds: float = 30.0,
        options: WatchOptions | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.hub = hub
        self.redis = redis
        self.refresh_seconds = refresh_seconds
        self.options = options or WatchOptions()
        self.env = env
        self.watchers: dict[uuid.UUID, MailboxWatcher] = {}
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._ingest: EmailIngest | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> MailboxWatchers:
        self._task = asyncio.create_task(self._run(), name="hub-mailbox-watchers")
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._stop(list(self._tasks))

    async def refresh(self) -> None:
        """Start, restart or stop watchers to match the active mailbox channels with ``imap_host``."""
        self._ingest = await EmailIngest.create(self.hub, RedisClaims(self.redis))
        wanted = {
            c.id: MailboxConfig.of(c.config)
            for c in await list_channels(self.hub)
            if c.kind is ChannelKind.EMAIL and c.is_active and MailboxConfig.of(c.config).watched
        }
        changed = [cid for cid, w in self.watchers.items() if wanted.get(cid) != w.config]
        await self._stop(changed)
        for channel_id, config in wanted.items():
            if channel_id in self.watchers:
                continue
            watcher = MailboxWatcher(
                self.hub, self.redis, channel_id, config, self._current, self.options, self.env
            )
            self.watchers[channel_id] = watcher
            self._tasks[channel_id] = asyncio.create_task(watcher.run(), name=f"hub-imap-{channel_id}")
            log.info("watching mailbox %s (%s, folder %s)", channel_id, config.imap_host, config.imap_folder)

    def _current(self) -> EmailIngest:
        assert self._ingest is not None
        return self._ingest

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("could not read the mailbox channels; trying again")
            await asyncio.sleep(self.refresh_seconds)

    async def _stop(self, channel_ids: list[uuid.UUID]) -> None:
        tasks = [self._tasks.pop(cid) for cid in channel_ids if cid in self._tasks]
        for cid in channel_ids:
            self.watchers.pop(cid, None)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
