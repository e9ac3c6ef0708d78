"""``hub ingest phone PATH...`` (CDR files into a phone line) and ``hub phone extension`` (who
answers on each of a line's PBX extensions)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from web.cli import common

if TYPE_CHECKING:
    import uuid

#: ``auto`` tells the format from each file's content.
FORMATS = ("auto", "asterisk", "asterisk-custom", "freeswitch-csv", "freeswitch-json", "csv")


@click.command("phone")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--channel", "channel_id", type=click.UUID, required=True, help="The phone line's channel id.")
@click.option("--format", "cdr_format", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="For --format csv: which column holds what (see docs/phone.md).",
)
@click.option(
    "--timezone",
    default="Asia/Shanghai",
    show_default=True,
    help="The zone of times the files write without one (the PBX's local time).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object as the last line.")
@click.option("--batch-size", type=click.IntRange(1, 5000), default=1000, show_default=True, hidden=True)
def ingest_phone(
    paths: tuple[Path, ...],
    channel_id: uuid.UUID,
    cdr_format: str,
    mapping: Path | None,
    timezone: str,
    as_json: bool,
    batch_size: int,
) -> None:
    """Import call logs (CDR files of Asterisk, FreeSWITCH or any CSV) into a phone line.

    Each call lands on its client's ticket (a missed call asks for a callback), measured at its
    own times. A bad row is reported with its file and line while the rest goes in; importing the
    same files again changes nothing. Exit status 1 when any row or call was rejected.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{timezone!r} is not an IANA time zone", param_hint="--timezone") from None
    show_bar = sys.stderr.isatty() and not as_json

    async def work(runtime: Any) -> Any:
        from channels.phone import lines
        from channels.phone.importer import Summary, import_calls

        line = await lines.load(runtime.hub, channel_id)
        summary = Summary()
        calls = _read(paths, cdr_format, mapping, timezone, summary)
        if not show_bar:
            return await import_calls(runtime.hub, line, calls, summary, batch_size=batch_size)
        with click.progressbar(length=len(calls), label="importing calls", file=sys.stderr) as bar:
            return await import_calls(
                runtime.hub, line, calls, summary, batch_size=batch_size, on_done=bar.update
            )

    summary = common.run(work)
    data = summary.as_json()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        counts = ", ".join(
            f"{data[k]} {k}" for k in ("created", "threaded", "duplicate", "internal", "rejected")
        )
        click.echo(f"{data['files']} files, {data['rows']} rows, {data['calls']} calls: {counts}")
        for problem in summary.problems:
            click.echo(f"rejected {problem['file']}:{problem['line']}: {problem['reason']}", err=True)
    if summary.problems:
        sys.exit(1)


def _read(
    paths: tuple[Path, ...], cdr_format: str, mapping: Path | None, timezone: str, summary: Any
) -> list[Any]:
    """Every call of the files, in order, the legs of one call merged even when they were filed
    apart (a FreeSWITCH a-leg and b-leg, a rotated Master.csv)."""
    from zoneinfo import ZoneInfo

    from channels.phone.cdr import CdrError, load_mapping, read_cdr, read_cdr_files
    from channels.phone.importer import Sourced

    summary.files = len(paths)
    zone = ZoneInfo(timezone)
    try:
        columns = load_mapping(mapping.read_bytes(), name=str(mapping)) if mapping is not None else None
        files = [(str(path), path.read_bytes()) for path in paths]
    except (CdrError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        readings = read_cdr_files(files, format=cdr_format, mapping=columns, timezone=zone)
    except CdrError:
        # One file is no CDR we can read: it is the problem, and the others go in (read alone).
        readable = []
        for name, data in files:
            try:
                read_cdr(data, name=name, format=cdr_format, mapping=columns, timezone=zone)
            except CdrError as exc:
                summary.reject((name, 0), str(exc))
            else:
                readable.append((name, data))
        files = readable
        readings = read_cdr_files(files, format=cdr_format, mapping=columns, timezone=zone)
    calls: list[Sourced] = []
    for (name, _), reading in zip(files, readings, strict=True):
        summary.rows += reading.rows
        calls += [Sourced(call, name) for call in reading.calls]
        for problem in reading.problems:
            summary.reject((problem.file, problem.line), problem.reason)
    return calls


@click.group("phone")
def phone() -> None:
    """Phone lines: who answers on each PBX extension."""


@phone.command("extension")
@click.argument("channel_id", type=click.UUID)
@click.argument("extension", required=False)
@click.argument("user", required=False)
@click.option("--remove", is_flag=True, help="Remove the extension's mapping.")
@click.option("--json", "as_json", is_flag=True, help="Print the line's mappings as JSON.")
def extension(
    channel_id: uuid.UUID, extension: str | None, user: str | None, remove: bool, as_json: bool
) -> None:
    """Map a PBX extension to a user, remove a mapping, or list the line's mappings.

    \b
    hub phone extension CHANNEL_ID 301 agent1@demo.test   map 301 to that user
    hub phone extension CHANNEL_ID 301 --remove           remove the mapping
    hub phone extension CHANNEL_ID                        list the mappings
    """
    if remove and (extension is None or user is not None):
        raise click.UsageError("--remove takes the extension alone")
    if extension is not None and user is None and not remove:
        raise click.UsageError("give the user (e-mail or id) the extension is mapped to, or --remove")

    async def work(runtime: Any) -> Any:
        from channels.phone import extensions
        from hub.actors import CLI

        if remove:
            assert extension is not None
            await extensions.unmap_extension(runtime.hub, CLI, channel_id, extension)
        elif extension is not None:
            assert user is not None
            await extensions.map_extension(runtime.hub, CLI, channel_id, extension, user)
        return await extensions.list_extensions(runtime.hub, CLI, channel_id)

    mappings = common.run(work)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {"extension": m.extension, "user_id": str(m.user_id), "email": m.email, "name": m.name}
                    for m in mappings
                ],
                ensure_ascii=False,
            )
        )
        return
    if not mappings:
        click.echo("no extensions mapped yet")
    for m in mappings:
        click.echo(f"{m.extension:<8} {m.email}  {m.name}")
