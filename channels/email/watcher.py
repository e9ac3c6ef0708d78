"""Watching one IMAP mailbox folder: fetch new mail exactly once, IDLE or polling, with backoff.

Exact-once: the cursor (UIDVALIDITY, last UID) lives in PostgreSQL (hub.intake.cursors) and
moves only after a mail is stored, one mail at a time, so a restart re-reads at most the mail it
was storing (a duplicate the Message-ID turns away) and never skips one. When UIDVALIDITY changes
the folder was renumbered: the watcher reads it again from the start and the Message-ID
idempotency of :class:`EmailIngest` keeps every mail once.

Isolation: the IMAP connection runs in this watcher's own thread, so a slow server, a huge mail
or an IDLE that never returns holds up only this mailbox. A failure (wrong password, server down)
is recorded on the cursor row (``hub channel list``), counted, logged, and retried with
exponential backoff, while the other mailboxes go on. One replica watches a mailbox at a time
(:class:`Lease`); the others stand by and take over within one lease when it stops renewing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from redis.asyncio import Redis

from channels.email.config import MailboxConfig
from channels.email.imap import Fetched, ImapSession
from channels.email.ingest import EmailIngest, Outcome
from channels.email.lease import Lease, LeaseLost
from hub import metrics
from hub.core import Hub
from hub.intake.cursors import advance, note_state, read_cursor

log = logging.getLogger(__name__)
T = TypeVar("T")

#: A mail whose ingest raised this many times in a row is kept as rejected and passed over.
POISON_AFTER = 3
SIZE_BATCH = 500


@dataclass(frozen=True)
class WatchOptions:
    lease_seconds: float = 60.0
    backoff_first: float = 2.0
    backoff_max: float = 300.0
    #: Socket timeout for every IMAP command but IDLE's wait.
    timeout: float = 60.0


class MailboxWatcher:
    def __init__(
        self,
        hub: Hub,
        redis: Redis,
        channel_id: uuid.UUID,
        config: MailboxConfig,
        ingest: Callable[[], EmailIngest],
        options: WatchOptions | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.hub = hub
        self.redis = redis
        self.channel_id = channel_id
        self.config = config
        self.ingest = ingest
        self.options = options or WatchOptions()
        self.env = env
        #: Outcomes of the mails this watcher is done with (stored and the cursor past them):
        #: created, threaded, duplicate, ignored, rejected, plus ``oversize``.
        self.counts: Counter[str] = Counter()
        self.state = "new"
        self.error: str | None = None
        self._session: ImapSession | None = None
        self._failures: dict[int, int] = {}
        self._established = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"imap-{channel_id.hex[:8]}")

    @property
    def source(self) -> str:
        return self.config.imap_folder

    @property
    def idling(self) -> bool:
        """In IDLE right now: mail appended from here on is reported by the server."""
        return self._session is not None and self._session.idling

    async def run(self) -> None:
        """Until cancelled: take the lease, watch; after a failure, back off and try again."""
        lease = Lease(self.redis, f"hub:imap:{self.channel_id}:{self.source}", self.options.lease_seconds)
        failures = 0
        try:
            while True:
                self._established = False
                if not await lease.acquire():
                    await self._state("standby")
                    await asyncio.sleep(self.options.lease_seconds / 3)
                    continue
                try:
                    await self._hold(lease)
                except LeaseLost:
                    log.warning("mailbox %s: lost its lock; another worker watches it now", self.channel_id)
                    continue
                except Exception as exc:
                    failures = 1 if self._established else failures + 1
                    await self._failed(exc)
                # Let another replica try while this one waits (the fault may be ours alone).
                await lease.release()
                delay = min(self.options.backoff_first * 2 ** (failures - 1), self.options.backoff_max)
                await asyncio.sleep(delay)
        finally:
            await asyncio.shield(lease.release())
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _hold(self, lease: Lease) -> None:
        """Watch while renewing the lease; whichever fails first ends both."""
        renewing = asyncio.create_task(self._renew(lease))
        watching = asyncio.create_task(self._watch())
        try:
            done, _ = await asyncio.wait({renewing, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (renewing, watching):
                task.cancel()
            for task in (renewing, watching):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for task in done:
            task.result()

    async def _renew(self, lease: Lease) -> None:
        while True:
            await asyncio.sleep(lease.seconds / 3)
            await lease.renew()

    async def _watch(self) -> None:
        config = self.config
        session = await self._call(
            ImapSession.open, config, config.imap_password(self.env), timeout=self.options.timeout
        )
        self._session = session
        try:
            last = await self._start_position(session)
            await self._state("watching")
            self._established = True
            idle = config.imap_idle and session.supports_idle
            while True:
                last = await self._sync(session, last)
                if idle:
                    await self._call(session.wait, config.imap_poll_seconds)
                else:
                    await asyncio.sleep(config.imap_poll_seconds)
        finally:
            self._session = None
            session.abort()  # wakes the thread if it still waits in IDLE, so it can log out
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.options.timeout):
                    await asyncio.shield(
                        asyncio.get_running_loop().run_in_executor(self._executor, session.close)
                    )

    async def _start_position(self, session: ImapSession) -> int:
        cursor = await read_cursor(self.hub, self.channel_id, self.source)
        if cursor is not None and cursor.validity == session.uidvalidity:
            return cursor.position
        if cursor is not None and cursor.validity is not None:
            log.warning(
                "mailbox %s folder %s: UIDVALIDITY changed %s -> %s; reading it again "
                "(mail already stored is recognised by its Message-ID)",
                self.channel_id,
                self.source,
                cursor.validity,
                session.uidvalidity,
            )
        await advance(self.hub, self.channel_id, self.source, validity=session.uidvalidity, position=0)
        return 0

    async def _sync(self, session: ImapSession, last: int) -> int:
        uids = await self._call(session.new_uids, last)
        for start in range(0, len(uids), SIZE_BATCH):
            batch = uids[start : start + SIZE_BATCH]
            sizes = await self._call(session.sizes, batch)
            for uid in batch:
                fetched = await self._call(
                    session.fetch, uid, sizes.get(uid, 0), self.config.imap_max_message_bytes
                )
                outcome = await self._store(fetched) if fetched is not None else None
                await advance(
                    self.hub, self.channel_id, self.source, validity=session.uidvalidity, position=uid
                )
                last = uid
                # Counted once the cursor is past the mail: a count means "done, never again".
                if fetched is not None and outcome is not None:
                    self.counts[outcome.value] += 1
                    if fetched.oversize:
                        self.counts["oversize"] += 1
        return last

    async def _store(self, fetched: Fetched) -> Outcome:
        ingest = self.ingest()
        parsed = await self._call(ingest.parse, self.channel_id, fetched.raw)
        try:
            result = await ingest.ingest(self.channel_id, fetched.raw, parsed)
        except Exception as exc:
            tries = self._failures[fetched.uid] = self._failures.get(fetched.uid, 0) + 1
            if tries < POISON_AFTER:
                raise
            log.exception(
                "mailbox %s: UID %d failed %d times; kept as rejected", self.channel_id, fetched.uid, tries
            )
            result = await ingest.keep_rejected(self.channel_id, fetched.raw, f"{type(exc).__name__}: {exc}")
        self._failures.pop(fetched.uid, None)
        metrics.SOURCE_FETCHED.labels(channel_id=str(self.channel_id), outcome=result.outcome.value).inc()
        if result.outcome is Outcome.REJECTED:
            log.warning("mailbox %s: UID %d rejected: %s", self.channel_id, fetched.uid, result.reason)
        return result.outcome

    async def _failed(self, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        metrics.SOURCE_ERRORS.labels(channel_id=str(self.channel_id)).inc()
        log.warning("mailbox %s (%s): %s", self.channel_id, self.config.imap_host, reason)
        self.error = reason
        with contextlib.suppress(Exception):  # the database may be the thing that is down
            await self._state("error", error=reason)

    async def _state(self, state: str, *, error: str | None = None) -> None:
        """Recorded on the cursor row, except ``standby``: the row shows what the holder does."""
        if state == "standby" or (state == self.state and error == self.error and state != "error"):
            self.state = state
            return
        await note_state(self.hub, self.channel_id, self.source, state, error=error)
        self.state = state
        self.error = error

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(*args, **kwargs))
