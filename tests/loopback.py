"""A real HTTP server on 127.0.0.1 for webhook tests: it records what it receives and answers as scripted.

Hand-written on asyncio streams (HTTP/1.1, one request per connection) so a test can make it answer
any status, or accept a request and never answer, and can await the moment a request arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b'{"id": "remote-1"}'
    #: Accept the request and never answer (until the server closes).
    hang: bool = False
    #: Hold the answer until the test sets this event.
    gate: asyncio.Event | None = None


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class CallbackServer:
    #: Answers used in order, one per request; then ``default`` for every later request.
    script: deque[Answer] = field(default_factory=deque)
    default: Answer = field(default_factory=Answer)
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Condition()
        self._closing = asyncio.Event()
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/hooks/hub"

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    async def start(self) -> CallbackServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    async def wait_for_requests(self, count: int, within: float = 10.0) -> list[Received]:
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)
        return list(self.requests)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            answer = self.script.popleft() if self.script else self.default
            async with self._arrived:
                self.requests.append(Received(method, path, headers, body))
                self._arrived.notify_all()
            if answer.hang:
                await self._closing.wait()
                return
            if answer.gate is not None:
                await answer.gate.wait()
            writer.write(
                f"HTTP/1.1 {answer.status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(answer.body)}\r\nConnection: close\r\n\r\n".encode()
                + answer.body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)


class StepClock:
    """A :class:`hub.ports.Clock` that moves only when the test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.at = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
