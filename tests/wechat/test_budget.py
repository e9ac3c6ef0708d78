"""WeChat's 5 seconds hold while the database is slow: 50 concurrent pushes against a real server.

The database is slowed for real: another transaction holds an ACCESS EXCLUSIVE lock on a table
processing needs (contacts: every push resolves its sender), so processing cannot move at all,
and a trigger makes every raw insert sleep in PostgreSQL. The callbacks must still all answer ``success`` well within 5 s,
and once the locks go, processing turns the 50 pushes into exactly 50 messages.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import sqlalchemy as sa

from hub.models import Message, RawInbound
from tests.live import serve
from tests.wechat import pushes
from tests.wechat.conftest import process_pending

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

BUDGET = 5.0
INSERT_SLEEP = 0.2


def slow_inserts(seconds: float) -> tuple[str, ...]:
    return (
        "CREATE OR REPLACE FUNCTION hub_test_slow_insert() RETURNS trigger AS $$ "
        f"BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER hub_test_slow_insert BEFORE INSERT ON raw_inbound "
        "FOR EACH ROW EXECUTE FUNCTION hub_test_slow_insert()",
    )


FAST_AGAIN = (
    "DROP TRIGGER IF EXISTS hub_test_slow_insert ON raw_inbound",
    "DROP FUNCTION IF EXISTS hub_test_slow_insert()",
)


async def _execute(runtime, statements: tuple[str, ...]) -> None:
    async with runtime.engine.begin() as connection:
        for statement in statements:
            await connection.execute(sa.text(statement))


async def _count(runtime, model) -> int:
    async with runtime.hub.uow() as uow:
        return await uow.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


async def _timed(http: httpx.AsyncClient, url: str, n: int) -> tuple[float, int, str]:
    xml = pushes.text(f"oLoad{n % 7}", f"并发消息 {n}", msg_id=900000 + n)
    if n % 2:
        body, params = pushes.encrypted(xml)
    else:
        body, params = xml, pushes.query(nonce=f"n{n}")
    started = time.perf_counter()
    response = await http.post(url, params=params, content=body.encode())
    return time.perf_counter() - started, response.status_code, response.text


async def test_fifty_concurrent_pushes_answer_in_time_while_processing_is_blocked(runtime, wechat) -> None:
    await _execute(runtime, FAST_AGAIN)
    await _execute(runtime, slow_inserts(INSERT_SLEEP))
    locker = await runtime.engine.connect()
    blocked: asyncio.Task | None = None
    try:
        with serve(runtime.settings) as base:
            url = f"{base}/channels/wechat/{wechat.id}"
            async with httpx.AsyncClient(timeout=30) as http:
                first = await _timed(http, url, 0)  # stored before the locks: its processing will hang
                assert first[1:] == (200, "success")
                await locker.begin()
                # Not tickets: raw_inbound references it, so even a row-less insert takes a share lock on it.
                await locker.execute(sa.text("LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE"))
                blocked = asyncio.create_task(process_pending(runtime))
                await asyncio.sleep(0.5)
                results = await asyncio.gather(*(_timed(http, url, n) for n in range(1, 51)))
                assert not blocked.done(), "processing should be stuck behind the locks"
        latencies = sorted(r[0] for r in results)
        assert {(r[1], r[2]) for r in results} == {(200, "success")}
        assert latencies[-1] < BUDGET, f"slowest answer took {latencies[-1]:.2f} s"
        assert latencies[0] >= INSERT_SLEEP  # the database really was slow for every one of them
        print(f"\n50 pushes, slow database: p50 {latencies[25]:.3f} s, max {latencies[-1]:.3f} s")
        assert await _count(runtime, RawInbound) == 51
    finally:
        await locker.rollback()
        await locker.close()
        await _execute(runtime, FAST_AGAIN)
    assert blocked is not None
    await asyncio.wait_for(blocked, 60)
    await process_pending(runtime)
    assert await _count(runtime, Message) == 51


async def test_a_store_slower_than_the_budget_answers_503_in_time_and_the_retry_is_stored_once(
    runtime, wechat
) -> None:
    await _execute(runtime, FAST_AGAIN)
    await _execute(runtime, slow_inserts(6))
    try:
        with serve(runtime.settings) as base:
            url = f"{base}/channels/wechat/{wechat.id}"
            async with httpx.AsyncClient(timeout=30) as http:
                elapsed, status, _ = await _timed(http, url, 77)
                assert status == 503 and elapsed < BUDGET
                await _execute(runtime, FAST_AGAIN)
                elapsed, status, text = await _timed(http, url, 77)  # WeChat's retry, same MsgId
                assert (status, text) == (200, "success")
    finally:
        await _execute(runtime, FAST_AGAIN)
    assert await _count(runtime, RawInbound) == 1
