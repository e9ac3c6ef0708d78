"""Running the real ``hub`` command against the test servers, as an operator would."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import TEST_SECRET
from web.runtime import Runtime

HUB_COMMAND = str(Path(sys.executable).with_name("hub"))


def hub_env(runtime: Runtime, data_dir: Path) -> dict[str, str]:
    """The environment a ``hub`` process needs to work on the test servers (and nothing else)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=runtime.database_url,
        HUB_REDIS_URL=runtime.redis_url,
        HUB_SECRET_KEY=TEST_SECRET,
        HUB_DATA_DIR=str(data_dir),
    )
    return env


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


async def run_hub(runtime: Runtime, data_dir: Path, *args: str) -> Completed:
    process = await asyncio.create_subprocess_exec(
        HUB_COMMAND,
        *args,
        env=hub_env(runtime, data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return Completed(process.returncode, stdout.decode(), stderr.decode())
