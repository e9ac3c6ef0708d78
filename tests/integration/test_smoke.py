from __future__ import annotations

import pytest

from hub.domain import ChannelKind
from tests import factories

pytestmark = pytest.mark.anyio


async def test_ingest_creates_a_ticket(hub) -> None:
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(hub, chan.id, text="我的订单还没有发货")
    assert result.created_ticket and not result.duplicate


async def test_health(client) -> None:
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
