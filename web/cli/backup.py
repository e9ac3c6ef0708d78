"""``hub backup`` and ``hub restore``: the whole hub in one file and back (see :mod:`web.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from web.cli import common


def _generated_secret(settings: Any) -> Path | None:
    """The data folder's secret file when that is where the key came from (not the environment)."""
    path: Path = settings.data_dir / "secret.key"
    return path if path.is_file() and path.read_text().strip() == settings.secret_key else None


@click.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Archive to write (default: DATA_DIR/backups/hub-<UTC time>.tar).",
)
def backup(output: Path | None) -> None:
    """Write the database, the attachments and the generated secret into one archive.

    Safe while `hub serve` runs: the database is read in one snapshot. Keep the archive as you
    keep passwords: it holds the key that seals the channels' secrets.
    """
    from datetime import UTC, datetime

    from hub.migrate import stamped_revision
    from web.backup import BackupError, default_path, server_major, write_backup

    settings = common.settings()
    now = datetime.now(UTC)
    target = (output or default_path(settings.data_dir, now)).resolve()

    async def work(runtime: Any) -> Any:
        try:
            return write_backup(
                target,
                database_url=runtime.database_url,
                major=await server_major(runtime.engine),
                revision=await stamped_revision(runtime.engine),
                attachments_dir=settings.attachments_dir,
                secret=settings.secret_key,
                secret_file=_generated_secret(settings),
                now=now,
            )
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None

    manifest = common.run(work, settings, schema=False)
    click.echo(
        f"backup written: {target} (schema {manifest.revision or 'empty'}, {manifest.attachments} attachments, "
        f"secret {'included' if manifest.secret_included else 'not included: keep HUB_SECRET_KEY'})"
    )


@click.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore(archive: Path, yes: bool) -> None:
    """Replace the hub's database with ARCHIVE's and put back its attachments (and generated secret).

    Stop `hub serve` and its workers first: the database is emptied and loaded again.
    """
    from datetime import UTC, datetime

    from hub.migrate import numbered_head, stamped_revision
    from web.backup import BackupError, empty_schema, fingerprint, read_manifest, restore_files, server_major

    settings = common.settings()
    try:
        manifest = read_manifest(archive)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    secret_file = _generated_secret(settings)
    if not manifest.secret_included and manifest.secret_fingerprint != fingerprint(settings.secret_key):
        click.echo(
            "warning: this hub runs with another secret key than the backup's: channel passwords "
            "sealed in it cannot be opened until HUB_SECRET_KEY is the backup's key again",
            err=True,
        )
    if not yes:
        click.confirm(
            f"Replace the database at {'the data folder' if settings.embedded_database else 'HUB_DATABASE_URL'} "
            f"with the backup of {manifest.created_at}?",
            abort=True,
        )

    async def work(runtime: Any) -> Any:
        others = runtime.embedded.other_holders() if runtime.embedded is not None else []
        if others:
            raise click.ClickException(
                f"the embedded servers are in use by pid {', '.join(map(str, others))} "
                "(`hub serve`?): stop it before restoring"
            )
        try:
            major = await server_major(runtime.engine)
            await empty_schema(runtime.engine)
            await runtime.engine.dispose()
            restored = restore_files(
                archive,
                database_url=runtime.database_url,
                major=major,
                attachments_dir=settings.attachments_dir,
                secret_file=secret_file,
                now=datetime.now(UTC),
            )
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        if settings.embedded_database:
            await common.ready_schema(runtime, embedded=True)
        return restored, await stamped_revision(runtime.engine)

    restored, revision = common.run(work, settings, schema=False)
    click.echo(
        f"restored the backup of {restored.manifest.created_at}: schema {revision or 'empty'}, "
        f"{restored.attachments_added} attachments put back"
    )
    if restored.secret_replaced is not None:
        click.echo(f"the secret key was the backup's; the one replaced is kept in {restored.secret_replaced}")
    if revision != numbered_head():
        click.echo(f"this hub needs schema {numbered_head()}: run `hub migrate`", err=True)
