"""``hub serve`` (the web app, and the worker beside it) and ``hub worker``."""

from __future__ import annotations

import contextlib
import signal
import time
from typing import Any

import click

from web.cli import common

#: Where ``hub serve --demo`` keeps the e-mail replies it catches (a Maildir in the data folder).
DEMO_OUTBOX = "demo-outbox"


@click.command()
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
    import asyncio

    import uvicorn

    from hub.errors import HubError
    from hub.migrate import upgrade_exclusively
    from web import worker_process
    from web.app import create_app
    from web.edge import SERVER_OPTIONS
    from web.embedded import EmbeddedServerError
    from web.runtime import open_runtime, resolve_servers

    settings = common.settings()
    common.configure_logging(settings.log_level)
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
                from channels.phone.demo import seed_calls
                from hub.demo import seed_demo

                click.echo(await seed_demo(runtime.hub))
                click.echo(await seed_calls(runtime.hub))

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
                        from hub.demo import allow_demo_chat_from

                        origins = demo_origins(
                            resolved.base_url, host or resolved.host, port or resolved.port
                        )
                        await allow_demo_chat_from(runtime.hub, origins)
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
                **SERVER_OPTIONS,
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
        click.echo(f"  demo shop page with the web chat: {where}/widget/demo")
    click.echo("  stop with Ctrl-C")


#: Addresses a browser on this machine reaches a hub listening on any of them by.
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"}  # noqa: S104 - names, not a bind


def demo_origins(base_url: str, host: str, port: int) -> list[str]:
    """The origins the demo shop page is opened at: the hub's public URL, and the address it
    listens on (both loopback names when it listens on loopback or everywhere)."""
    from urllib.parse import urlsplit

    public = urlsplit(base_url)
    found = [f"{public.scheme}://{public.netloc}"]
    names = ["127.0.0.1", "localhost"] if host in _LOOPBACK else [host]
    found += [f"http://{name}:{port}" for name in names]
    return list(dict.fromkeys(found))


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


@click.command()
@click.option("--burst", is_flag=True, help="Process the queued jobs, then exit.")
@click.option(
    "--normal-priority",
    is_flag=True,
    help="Compete for the CPU like any process, instead of taking only what the web server leaves.",
)
def worker(burst: bool, normal_priority: bool) -> None:
    """Run the background job worker (deliveries, re-drives). Run several for scale."""
    import asyncio

    from web import worker_process
    from web.worker import build_worker

    if not normal_priority:
        worker_process.yield_cpu()
    settings = common.settings()
    common.configure_logging(settings.log_level)

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

    common.run(work, settings)
