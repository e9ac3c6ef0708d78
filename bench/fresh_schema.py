"""The wipe every benchmark does before it measures: its database dropped to an empty schema and
migrated again, so that a run never counts rows a previous run left behind.

The scripts run as ``python bench/<name>.py``, so this folder is on ``sys.path`` and they import
this module by its bare name.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.db import create_engine
from hub.migrate import upgrade


async def reset(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()
    await upgrade(database_url)
