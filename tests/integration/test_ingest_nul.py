"""NUL never reaches PostgreSQL from a channel: a payload kept as unreadable keeps its NUL-bearing key and reason."""

from __future__ import annotations

import pytest

from hub.core import Hub
from hub.domain import ChannelKind, RawStatus
from hub.services.ingest import failed_inbound, keep_unreadable
from tests import factories

pytestmark = pytest.mark.anyio


async def test_an_unreadable_payload_with_nul_in_its_key_and_reason_is_kept(hub: Hub) -> None:
    chan = await factories.channel(hub, ChannelKind.WECHAT)
    kept = await keep_unreadable(
        hub, chan.id, external_id="rejected:\x00abc", payload=b"<xml>\x00", reason="bad token '\x00' at 1"
    )
    assert kept.new
    (row,) = await failed_inbound(hub, status=RawStatus.REJECTED)
    assert (row.error, row.payload) == ("bad token '' at 1", b"<xml>\x00")
