"""``hub channel add <kind>`` and ``hub channel list``.

Each kind's options are made from its settings schema (:mod:`channels.spec`): a kind that ships a
folder gets its command without a line here, and the command checks what the admin form and the
API check.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from web.cli import common

if TYPE_CHECKING:
    import uuid

    from channels.spec import ChannelSpec, FormField


@click.group()
def channel() -> None:
    """Add and list channels (mailboxes, Official Accounts, API integrations)."""


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _option(field: FormField) -> click.Option:
    from channels.spec import ABSOLUTE_PATH

    help_text = f"{field.help.get('en', '')} ({field.help.get('zh-CN', '')})"
    if field.required:
        help_text += " [required]"
    elif field.default is not None and field.kind != "boolean":
        help_text += f" [default: {str(field.default).splitlines()[0][:40]}]"
    if field.kind == "boolean":
        flag = _flag(field.name)
        return click.Option([f"{flag}/--no-{flag[2:]}"], default=None, help=help_text)
    if field.kind == "list":  # given once per value: --origin A --origin B
        singular = field.name[:-1] if field.name.endswith("s") else field.name
        return click.Option([_flag(singular), field.name], multiple=True, default=None, help=help_text)
    kinds: dict[str, Any] = {
        "integer": click.IntRange(
            None if field.minimum is None else int(field.minimum),
            None if field.maximum is None else int(field.maximum),
        ),
        "number": click.FloatRange(field.minimum, field.maximum, min_open=field.above_minimum),
        "choice": click.Choice(field.choices),
        # A file the hub's processes read: it must exist where the command runs, and is kept absolute.
        "file": click.Path(exists=True, dir_okay=False, resolve_path=True),
    }
    kind = "file" if field.pattern == ABSOLUTE_PATH else field.kind
    return click.Option([_flag(field.name)], type=kinds.get(kind, str), default=None, help=help_text)


def _add_command(spec: ChannelSpec) -> click.Command:
    from channels.spec import form_fields

    fields = form_fields(spec.form)

    def callback(name: str, team_id: uuid.UUID | None, as_json: bool, **options: Any) -> None:
        _add(spec, fields, name, team_id, as_json, options)

    params: list[click.Parameter] = [
        click.Option(["--name"], required=True, help="A unique name, e.g. '客服邮箱'."),
        click.Option(
            ["--team", "team_id"], type=click.UUID, default=None, help="Team that receives its new tickets."
        ),
        *(_option(field) for field in fields),
        click.Option(["--json", "as_json"], is_flag=True, help='Print {"id": ..., "token": ...} as JSON.'),
    ]
    title = f"{spec.title['en']} ({spec.title['zh-CN']})"
    doc = f"Add a channel: {title}."
    if spec.issues_token:
        doc += " Prints its inbound token and webhook secret (shown once)."
    if spec.example:
        doc += f"\n\nExample: {spec.example}"
    return click.Command(spec.kind, callback=callback, params=params, help=doc, short_help=title)


class _Kinds(click.Group):
    """One ``add`` command per kind, built only for the kind asked for (or listed by --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from channels.catalogue import KINDS

        return list(KINDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from channels.catalogue import KINDS, spec

        return _add_command(spec(name)) if name in KINDS else None


@channel.group("add", cls=_Kinds)
def channel_add() -> None:
    """Add a channel of a kind: hub channel add KIND --name NAME [settings]; KIND --help lists them."""


def _add(
    spec: ChannelSpec,
    fields: list[FormField],
    name: str,
    team_id: uuid.UUID | None,
    as_json: bool,
    options: dict[str, Any],
) -> None:
    import uuid

    from channels.spec import SettingsProblem, check_form
    from hub.actors import CLI
    from hub.domain import ChannelKind
    from hub.intake import channel_instances

    given = {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in options.items()
        if value not in (None, ())
    }
    missing = [_flag(f.name) for f in fields if f.required and f.name not in given]
    if missing:
        raise click.UsageError(f"a {spec.kind} channel needs {', '.join(missing)}")
    try:
        check_form(spec.form, given)
    except SettingsProblem as exc:
        setting, _, reason = str(exc).partition(": ")
        raise click.UsageError(f"{_flag(setting)}: {reason}") from None
    settings = common.settings()
    channel_id = uuid.uuid4()

    async def work(runtime: Any) -> Any:
        return await channel_instances.add_channel(
            runtime.hub,
            CLI,
            kind=ChannelKind(spec.kind),
            name=name,
            team_id=team_id,
            config=given,
            channel_id=channel_id,
        )

    created = common.run(work, settings)
    told = spec.announce(settings.base_url, created.channel.id, created.channel.config)
    issued = spec.issued_secrets(settings.secret_key, created.channel.id, created.channel.config)
    if as_json:
        printed = {
            "id": str(created.channel.id),
            "token": created.token,
            "webhook_secret": created.webhook_secret,
        }
        click.echo(json.dumps({**printed, **told.fields, **issued}))
        return
    click.echo(f"channel {created.channel.name} ({spec.kind}): {created.channel.id}")
    for line in told.lines:
        click.echo(line)
    if created.token:
        click.echo(f"inbound token (keep it secret, shown once): {created.token}")
    if created.webhook_secret:
        click.echo(f"webhook signing secret (X-Hub-Signature-256): {created.webhook_secret}")
    for name, value in issued.items():
        click.echo(f"{name} (keep it secret, shown once): {value}")


@channel.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def channel_list(as_json: bool) -> None:
    """List channels with their ids, and for watched mailboxes what the watcher does (or its error)."""
    from hub.intake import channel_instances, cursors

    async def work(runtime: Any) -> tuple[list[Any], list[Any]]:
        return await channel_instances.list_channels(runtime.hub), await cursors.list_status(runtime.hub)

    rows, statuses = common.run(work)
    sources: dict[uuid.UUID, list[Any]] = {}
    for status in statuses:
        sources.setdefault(status.channel_id, []).append(status)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": str(c.id),
                        "kind": c.kind.value,
                        "name": c.name,
                        "active": c.is_active,
                        "config": c.config,
                        "sources": [_source_json(s) for s in sources.get(c.id, [])],
                    }
                    for c in rows
                ],
                ensure_ascii=False,
            )
        )
        return
    if not rows:
        click.echo("no channels yet; add one with `hub channel add`")
    for c in rows:
        state = "" if c.is_active else "  (disabled)"
        click.echo(f"{c.id}  {c.kind.value:<8} {c.name}{state}")
        for s in sources.get(c.id, []):
            line = f"    {s.source}: {s.state}, up to {s.position} (validity {s.validity})"
            if s.error:
                line += f"; error since {s.error_since:%Y-%m-%d %H:%M:%S}: {s.error}"
            click.echo(line)


def _source_json(status: Any) -> dict[str, Any]:
    return {
        "source": status.source,
        "state": status.state,
        "validity": status.validity,
        "position": status.position,
        "error": status.error,
        "error_since": status.error_since.isoformat() if status.error_since else None,
        "updated_at": status.updated_at.isoformat(),
    }
