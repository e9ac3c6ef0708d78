"""``hub serve``'s job worker, run as a child process beside the web server.

Processing pushes, deliveries and sweeps is CPU work. On the web server's own event loop it delays
the answers WeChat must get within 5 s, far more than a ``hub worker`` process beside it on the same
cores does (``bench/wechat_webhook.py``; its figures are in the README's *Measured*). So ``hub serve`` starts ``hub worker`` as its child, pointed at the same servers by URL (the
embedded ones included), and stops it before the embedded servers stop. The child also watches
its parent, so a ``hub serve`` killed outright leaves no worker behind, and a child that dies is
reported and started again: without it nothing would be delivered or processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping

from hub.config import Settings

#: The child stops when its parent is no longer this process (it was killed and the child adopted).
PARENT_VARIABLE = "HUB_WORKER_PARENT_PID"
PARENT_CHECK_SECONDS = 1.0
STOP_SECONDS = 30.0
RESTART_SECONDS = 5.0
LOWEST_NICENESS = 19

log = logging.getLogger(__name__)


def child_environment(settings: Settings, base: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment with the resolved server URLs and the parent's pid."""
    assert settings.database_url and settings.redis_url
    env = dict(base)
    env.update(
        HUB_DATABASE_URL=settings.database_url,
        HUB_REDIS_URL=settings.redis_url,
        # With embedded servers the key lives in the data folder; URLs alone would make the child
        # demand it from the environment.
        HUB_SECRET_KEY=settings.secret_key,
        **{PARENT_VARIABLE: str(os.getpid())},
    )
    return env


async def start(settings: Settings) -> asyncio.subprocess.Process:
    """``hub worker`` in a child process; its output goes where ours goes."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from web.cli import main; main()",
        "worker",
        env=child_environment(settings, os.environ),
        # Its own session: a Ctrl-C at the terminal reaches only `hub serve`, which stops the child
        # in order (before the embedded servers) instead of both racing to shut down.
        start_new_session=True,
    )


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM (the worker finishes its running jobs), then SIGKILL after :data:`STOP_SECONDS`."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def _supervise(settings: Settings, started: asyncio.Future[None]) -> None:
    while True:
        process = await start(settings)
        if not started.done():
            started.set_result(None)
        try:
            code = await process.wait()
        finally:
            await asyncio.shield(stop(process))
        log.error("the job worker exited with status %s; starting it again in %.0f s", code, RESTART_SECONDS)
        await asyncio.sleep(RESTART_SECONDS)


@contextlib.asynccontextmanager
async def beside(settings: Settings) -> AsyncIterator[None]:
    """A supervised ``hub worker`` child for as long as the block runs; stopped on the way out."""
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    supervisor = asyncio.create_task(_supervise(settings, started))
    await asyncio.wait({started, supervisor}, return_when=asyncio.FIRST_COMPLETED)
    if supervisor.done():
        supervisor.result()  # the child could not even be started: say so now, not at exit
    try:
        yield
    finally:
        supervisor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor


def yield_cpu() -> None:
    """Run this process's jobs only on CPU time the web server (and anything else) leaves over.

    Jobs are queued work that may wait a moment; WeChat's pushes must be answered now. Measured
    with ``bench/wechat_webhook.py`` on two cores, a worker at normal priority (or at nice 10)
    took the CPU mid-request often enough to set the web server's slowest answers.

    * Linux's ``SCHED_IDLE`` (else nice 19): a task the scheduler preempts as soon as a normal one
      wakes up, instead of letting it finish its time slice.
    * The autogroup (``/proc/self/autogroup``): without CPU cgroups (a desktop, a plain VM), Linux
      shares the CPU fairly between sessions first, and only then between the processes of a
      session by their priority. ``hub serve``'s child leads a session of its own (so that a
      Ctrl-C reaches only ``hub serve``): at nice 10 it still took half of the machine, as much as
      the web server's whole session. A worker leading its session gives the session the lowest
      weight too; one inside someone else's session (a shell's, a bench's) leaves it alone.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        with contextlib.suppress(OSError):
            os.nice(LOWEST_NICENESS)
    if os.getsid(0) == os.getpid():
        with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(LOWEST_NICENESS))


async def orphaned() -> None:
    """Returns once the process that started this worker is gone (never, when nobody did)."""
    expected = os.environ.get(PARENT_VARIABLE)
    if not expected:
        await asyncio.Event().wait()
    while os.getppid() == int(expected or 0):  # noqa: ASYNC110 - no event tells a parent's death
        await asyncio.sleep(PARENT_CHECK_SECONDS)
