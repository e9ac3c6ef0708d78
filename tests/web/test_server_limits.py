"""The served app holds what a reverse proxy would: short bodies and huge heads do not hold or pass.

Raw sockets against the app on loopback, served with ``hub serve``'s options (:mod:`tests.live`):
an HTTP client library would not send a body shorter than its Content-Length.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from hub.core import Hub
from tests.live import serve
from web.edge import BODY_IDLE_SECONDS, MAX_HEADERS

pytestmark = pytest.mark.anyio


@pytest.fixture
def address(hub: Hub) -> Iterator[tuple[str, int]]:
    with serve(hub.settings) as base:
        parts = urlsplit(base)
        assert parts.hostname and parts.port
        yield parts.hostname, parts.port


async def _exchange(address: tuple[str, int], head: bytes, body: bytes = b"") -> tuple[bytes, float]:
    """Send ``head`` and ``body``, then read until the server closes: (what it said, seconds it took)."""
    reader, writer = await asyncio.open_connection(*address)
    started = time.monotonic()
    writer.write(head + body)
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(-1), timeout=4 * BODY_IDLE_SECONDS)
    finally:
        writer.close()
    return answer, time.monotonic() - started


def _request(path: str, *headers: bytes, method: bytes = b"GET") -> bytes:
    return b"\r\n".join(
        [method + b" " + path.encode() + b" HTTP/1.1", b"Host: localhost", *headers, b"", b""]
    )


async def test_a_body_shorter_than_its_length_is_let_go_within_the_idle_timeout(
    address: tuple[str, int],
) -> None:
    head = _request(
        "/api/v1/auth/login",
        b"Content-Type: application/json",
        b"Content-Length: 100",
        b"Accept-Language: en",
        method=b"POST",
    )
    answer, seconds = await _exchange(address, head, b'{"email": ')
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"application/problem+json" in answer and b"body_timeout" in answer
    assert BODY_IDLE_SECONDS <= seconds < BODY_IDLE_SECONDS + 5


async def test_too_many_headers_are_refused(address: tuple[str, int]) -> None:
    many = [f"X-Filler-{n}: {n}".encode() for n in range(2000)]
    answer, _ = await _exchange(address, _request("/healthz", *many, b"Connection: close"))
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert b"headers_too_large" in answer and str(MAX_HEADERS).encode() in answer


async def test_too_large_headers_are_refused(address: tuple[str, int]) -> None:
    answer, _ = await _exchange(
        address, _request("/healthz", b"X-Big: " + b"a" * 200_000, b"Connection: close")
    )
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]


async def test_an_ordinary_request_still_passes(address: tuple[str, int]) -> None:
    answer, _ = await _exchange(address, _request("/healthz", b"Connection: close"))
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
