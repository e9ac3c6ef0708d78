from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.domain import ChannelKind
from hub.intake.inbound import InboundAttachment
from hub.models import Attachment
from tests import factories

pytestmark = pytest.mark.anyio


async def test_inbound_attachments_are_stored_with_their_message(hub) -> None:
    """Regression: the attachment rows were flushed before their message (no ORM relationship
    orders them), so every inbound message with a file failed on the foreign key."""
    chan = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(
        hub,
        chan.id,
        text="见附件",
        attachments=(InboundAttachment(filename="发票.pdf", content_type="application/pdf", data=b"%PDF"),),
    )
    async with hub.uow() as uow:
        rows = list(await uow.session.scalars(sa.select(Attachment)))
    assert [(r.message_id, r.filename, r.size) for r in rows] == [(result.message_id, "发票.pdf", 4)]
    assert hub.storage.get(rows[0].sha256) == b"%PDF"
