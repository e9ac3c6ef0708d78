"""Scale-out on one machine, as compose.yaml runs it without Docker: two ``hub serve --no-worker``
replicas and two ``hub worker`` processes on one PostgreSQL and one Redis given by URL.

A live inbox on replica A hears a message that arrived through replica B; a reply made on A is
delivered once by whichever worker takes it; a worker killed in the middle of a delivery leaves
it to the other, which finishes it once the dead one's lease has run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from collections.abc import AsyncIterator

import httpx
import psutil
import pytest
import sqlalchemy as sa
import websockets

from hub.core import Hub
from hub.domain import OutboxStatus, Role
from hub.models import Outbox
from tests import factories
from tests.conftest import HUB_EXECUTABLE, cli_env
from tests.loopback import Answer, CallbackServer

pytestmark = pytest.mark.anyio


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _start(hub: Hub, name: str, *args: str) -> asyncio.subprocess.Process:
    """``hub ARGS`` with its log in ``NAME.log`` of the test's data folder (shown if the test fails)."""
    with (hub.settings.data_dir / f"{name}.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            HUB_EXECUTABLE, *args, env=cli_env(hub.settings), stdout=asyncio.subprocess.PIPE, stderr=log
        )


def _print_logs(hub: Hub) -> None:
    """The processes' logs, for a failure's report: a 500 says nothing of its cause."""
    for log in sorted(hub.settings.data_dir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        print(f"--- {log.name} (last 80 lines)", *lines[-80:], sep="\n")


async def _ready(process: asyncio.subprocess.Process, line: str) -> None:
    """Until the process says it is up (it prints ``line``), or fail with what it said."""
    assert process.stdout is not None
    said = []
    async with asyncio.timeout(60):
        while True:
            out = (await process.stdout.readline()).decode()
            if not out:
                raise AssertionError(f"exited before saying {line!r}: {''.join(said)}")
            said.append(out)
            if line in out:
                return


@contextlib.asynccontextmanager
async def _cluster(hub: Hub) -> AsyncIterator[tuple[list[str], list[asyncio.subprocess.Process]]]:
    ports = [_free_port(), _free_port()]
    replicas = [
        await _start(hub, f"replica-{n}", "serve", "--no-worker", "--port", str(port))
        for n, port in enumerate(ports)
    ]
    workers = [await _start(hub, f"worker-{n}", "worker", "--normal-priority") for n in range(2)]
    try:
        await asyncio.gather(
            *(_ready(r, "hub ready at") for r in replicas),
            *(_ready(w, "hub worker running") for w in workers),
        )
        yield [f"http://127.0.0.1:{port}" for port in ports], workers
    except BaseException:
        _print_logs(hub)
        raise
    finally:
        for process in [*replicas, *workers]:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in [*replicas, *workers]:
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _event(socket: websockets.ClientConnection, name: str) -> dict[str, object]:
    async with asyncio.timeout(15):
        while True:
            event = json.loads(await socket.recv())
            if event.get("event") == name:
                return dict(event)


async def _all_sent(hub: Hub) -> None:
    """Until the survivor has recorded its delivery (it answers the receiver first, then commits)."""
    async with asyncio.timeout(20):
        while True:
            async with hub.uow() as uow:
                statuses = set((await uow.session.scalars(sa.select(Outbox.status))).all())
            if statuses == {OutboxStatus.SENT}:
                return
            await asyncio.sleep(0.1)


def _holding(workers: list[asyncio.subprocess.Process], port: int) -> asyncio.subprocess.Process:
    """The worker with a connection open to ``port``: the one in the middle of that delivery."""
    for worker in workers:
        for connection in psutil.Process(worker.pid).net_connections(kind="tcp"):
            if connection.raddr and connection.raddr.port == port:
                return worker
    raise AssertionError("no worker is connected to the callback receiver")


async def test_two_replicas_and_two_workers_share_one_database_and_one_redis(hub: Hub) -> None:
    agent = await factories.user(hub, Role.AGENT)
    receiver = await CallbackServer().start()
    channel = await factories.api_channel(hub, callback_url=receiver.url)
    try:
        async with _cluster(hub) as ((a, b), workers), httpx.AsyncClient() as http:
            login = await http.post(
                f"{a}/api/v1/auth/login", json={"email": agent.email, "password": factories.PASSWORD}
            )
            bearer = {"Authorization": f"Bearer {login.json()['token']}"}
            stream = a.replace("http://", "ws://") + "/api/v1/stream"
            async with websockets.connect(stream, additional_headers=bearer) as live:
                await live.send("ping")
                await _event(live, "pong")
                posted = await http.post(
                    f"{b}/api/v1/channels/{channel.channel.id}/messages",
                    json={"external_id": "m-1", "sender": {"identity": "crm:7"}, "text": "经 B 进来的消息"},
                    headers={"Authorization": f"Bearer {channel.token}"},
                )
                assert posted.status_code == 200, posted.text
                heard = await _event(live, "ticket.created")
            ticket_id = posted.json()["ticket_id"]
            assert heard["ticket_id"] == ticket_id  # A's inbox heard what came in through B

            replied = await http.post(
                f"{a}/api/v1/tickets/{ticket_id}/reply", json={"text": "第一条"}, headers=bearer
            )
            assert replied.status_code == 201, replied.text
            (first,) = await receiver.wait_for_requests(1, within=20)

            receiver.answer(Answer(hang=True))  # the next delivery is taken and never answered
            replied = await http.post(
                f"{a}/api/v1/tickets/{ticket_id}/reply", json={"text": "第二条"}, headers=bearer
            )
            assert replied.status_code == 201, replied.text
            await receiver.wait_for_requests(2, within=20)
            port = int(receiver.url.split(":")[2].split("/")[0])
            stuck = _holding(workers, port)
            os.kill(stuck.pid, signal.SIGKILL)
            await stuck.wait()
            async with hub.uow() as uow:  # the dead worker's lease runs out (60 s, skipped)
                await uow.session.execute(
                    sa.update(Outbox)
                    .where(Outbox.status == OutboxStatus.DELIVERING)
                    .values(next_attempt_at=sa.func.now() - sa.text("interval '1 second'"))
                )
                await uow.commit()
            # The survivor's re-drive sweep (every 15 s) hands the delivery to it.
            requests = await receiver.wait_for_requests(3, within=40)
            await _all_sent(hub)
    finally:
        await receiver.close()

    by_delivery: dict[str, int] = {}
    for request in requests:
        by_delivery[request.headers["x-hub-delivery"]] = (
            by_delivery.get(request.headers["x-hub-delivery"], 0) + 1
        )
    assert sorted(by_delivery.values()) == [1, 2]  # the first once; the second again, same id, after the kill
    assert first.headers["x-hub-delivery"] in by_delivery
    async with hub.uow() as uow:
        statuses = (await uow.session.scalars(sa.select(Outbox.status))).all()
    assert statuses == [OutboxStatus.SENT, OutboxStatus.SENT]
