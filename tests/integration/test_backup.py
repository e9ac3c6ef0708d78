"""``hub backup`` / ``hub restore``: one archive brings back the database and the attachments, and a
backup taken while messages keep arriving restores to a state where every message has its files.

The tests run on a database of their own (a restore empties the database it loads into).
"""

from __future__ import annotations

import asyncio
import hashlib
import stat
import tarfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from hub.config import Settings
from hub.core import Hub
from hub.intake.inbound import InboundAttachment
from hub.migrate import numbered_head, upgrade
from hub.models import Attachment, Message, Ticket
from hub.models.channels import ChannelKind
from tests import factories
from tests.conftest import CliResult, make_settings
from tests.servers import with_database
from web.backup import empty_schema, read_manifest, restore_files, server_major, write_backup
from web.embedded import ServerUrls
from web.runtime import Runtime, open_runtime

pytestmark = pytest.mark.anyio


@pytest.fixture
async def own_urls(server_urls: ServerUrls) -> AsyncIterator[ServerUrls]:
    name = f"hub_backup_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server_urls.database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = with_database(server_urls.database_url, name)
    await upgrade(url)
    yield ServerUrls(database_url=url, redis_url=server_urls.redis_url)
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
def settings(own_urls: ServerUrls, tmp_path: Path) -> Settings:
    """Every fixture built on the settings (the runtime, ``invoke_cli``) uses the database above."""
    return make_settings(own_urls, tmp_path / "data")


async def _message_with_file(hub: Hub, channel_id: uuid.UUID, n: int) -> bytes:
    data = f"invoice {n} {uuid.uuid4()}".encode()
    await factories.inbound(
        hub,
        channel_id,
        sender=f"client{n}@example.com",
        text=f"附件 {n}",
        attachments=(InboundAttachment(filename=f"invoice-{n}.txt", content_type="text/plain", data=data),),
    )
    return data


async def _rows(hub: Hub, model: type) -> int:
    return await factories.count(hub, model)


async def test_a_restore_brings_back_rows_and_files_and_removes_what_came_after(
    hub: Hub,
    runtime: Runtime,
    settings: Settings,
    invoke_cli: Callable[..., Awaitable[CliResult]],
    tmp_path: Path,
) -> None:
    channel = await factories.channel(hub, ChannelKind.API)
    kept = await _message_with_file(hub, channel.id, 1)
    archive = tmp_path / "hub.tar"

    done = await invoke_cli("backup", "--output", str(archive))
    assert done.code == 0, done.err
    assert "1 attachments" in done.out
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds sealed secrets
    manifest = read_manifest(archive)
    assert manifest.revision == numbered_head()
    assert not manifest.secret_included  # the key comes from the environment here

    await _message_with_file(hub, channel.id, 2)
    stored = settings.attachments_dir / hashlib.sha256(kept).hexdigest()[:2]
    for path in stored.rglob("*"):
        if path.is_file():
            path.unlink()
    assert await _rows(hub, Ticket) == 2

    await runtime.engine.dispose()  # the restore needs the database to itself
    done = await invoke_cli("restore", str(archive), "--yes")
    assert done.code == 0, done.err
    assert "1 attachments put back" in done.out

    assert await _rows(hub, Ticket) == 1
    async with hub.uow() as uow:
        texts = (await uow.session.scalars(sa.select(Message.text))).all()
        (sha,) = (await uow.session.scalars(sa.select(Attachment.sha256))).all()
    assert texts == ["附件 1"]
    assert hub.storage.get(sha) == kept


async def test_a_backup_taken_while_messages_arrive_has_the_file_of_every_message_it_holds(
    hub: Hub,
    runtime: Runtime,
    settings: Settings,
    invoke_cli: Callable[..., Awaitable[CliResult]],
    tmp_path: Path,
) -> None:
    channel = await factories.channel(hub, ChannelKind.API)
    archive = tmp_path / "busy.tar"
    backup = asyncio.ensure_future(invoke_cli("backup", "--output", str(archive)))
    arrived = 0
    while not backup.done():
        await _message_with_file(hub, channel.id, arrived)
        arrived += 1
    done = await backup
    assert done.code == 0, done.err
    await _message_with_file(hub, channel.id, arrived)  # surely after the snapshot

    await runtime.engine.dispose()
    target = tmp_path / "restored-attachments"
    async with open_runtime(settings) as runtime:
        major = await server_major(runtime.engine)
        await empty_schema(runtime.engine)
        await runtime.engine.dispose()
        restore_files(
            archive,
            database_url=runtime.database_url,
            major=major,
            attachments_dir=target,
            secret_file=None,
            now=datetime.now(UTC),
        )
        async with runtime.engine.connect() as connection:
            shas = (await connection.scalars(sa.select(Attachment.sha256))).all()
    assert len(shas) <= arrived
    missing = [sha for sha in shas if not (target / sha[:2] / sha[2:4] / sha).is_file()]
    assert missing == []


async def test_the_generated_secret_travels_with_the_backup_and_the_one_it_replaces_is_kept(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.key"
    secret.write_text("the key that sealed the mailbox passwords")
    archive = tmp_path / "with-secret.tar"
    now = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    major = await server_major(runtime.engine)
    write_backup(
        archive,
        database_url=settings.database_url or "",
        major=major,
        revision=numbered_head(),
        attachments_dir=settings.attachments_dir,
        secret="the key that sealed the mailbox passwords",
        secret_file=secret,
        now=now,
    )
    with tarfile.open(archive) as opened:
        assert "secret.key" in opened.getnames()
    secret.write_text("a key generated on the new machine")
    await runtime.engine.dispose()
    await empty_schema(runtime.engine)
    await runtime.engine.dispose()
    restored = restore_files(
        archive,
        database_url=settings.database_url or "",
        major=major,
        attachments_dir=settings.attachments_dir,
        secret_file=secret,
        now=now,
    )
    assert secret.read_text() == "the key that sealed the mailbox passwords"
    assert restored.secret_replaced is not None
    assert restored.secret_replaced.read_text() == "a key generated on the new machine"


async def test_restore_refuses_a_file_that_is_not_a_backup(
    invoke_cli: Callable[..., Awaitable[CliResult]], tmp_path: Path
) -> None:
    junk = tmp_path / "notes.tar"
    junk.write_bytes(b"not a tar at all")
    done = await invoke_cli("restore", str(junk), "--yes")
    assert done.code != 0
    assert "is not a hub backup" in done.err
