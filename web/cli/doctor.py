"""``hub doctor``: explain what is misconfigured or failing (see :mod:`web.doctor`)."""

from __future__ import annotations

import click

from web.cli import common

_MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
_COLOUR = {"ok": "green", "warn": "yellow", "fail": "red"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON list.")
def doctor(as_json: bool) -> None:
    """Check the servers, the schema, the worker, the clocks, stuck traffic and every channel's login.

    Sends nothing to anyone. Exits 1 when something stops traffic (FAIL), 0 otherwise.
    """
    import asyncio
    import json

    from channels.spec import Finding
    from web import doctor as examination
    from web.embedded import EmbeddedServerError
    from web.runtime import open_runtime

    settings = common.settings()

    async def main() -> list[Finding]:
        unreachable = await examination.reachable(settings)
        if unreachable:
            return [*examination.configuration(settings), *unreachable]
        try:
            async with open_runtime(settings) as runtime:
                if runtime.uses_embedded:
                    # As every command does with the data folder's own database (a fresh one is empty).
                    await common.ready_schema(runtime, embedded=True)
                return await examination.examine(runtime)
        except (EmbeddedServerError, OSError) as exc:
            # Without both servers nothing else can be examined; say which and why.
            return [*examination.configuration(settings), Finding("fail", "servers", str(exc))]

    found = asyncio.run(main())
    if as_json:
        click.echo(json.dumps(examination.as_json(found), ensure_ascii=False))
    else:
        width = max(len(finding.part) for finding in found)
        for finding in found:
            mark = click.style(_MARK[finding.level], fg=_COLOUR[finding.level])
            click.echo(f"{mark}  {finding.part:<{width}}  {finding.detail}")
    if examination.worst(found) == "fail":
        raise SystemExit(1)
