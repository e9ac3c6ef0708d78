"""What the agent sees of a web-chat visitor beside the ticket: the page they are on, where they
came from, their browser and language, whether they are on the page now, and an offline e-mail."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from channels.webchat import live, visitors
from hub.core import Hub

if TYPE_CHECKING:
    from channels.webchat.connection import WebchatConnection


async def visitor_context(
    connection: WebchatConnection, hub: Hub, ticket_id: uuid.UUID
) -> Sequence[tuple[str, str]]:
    async with hub.session_factory() as session:
        found = await visitors.visitor_of_ticket(session, ticket_id)
    if found is None:
        return ()
    channel_id, visitor_id = found
    row = await visitors.get(hub, visitor_id)
    here = await live.present(connection.redis, channel_id, visitor_id)
    lines: list[tuple[str, str]] = [("webchat.presence", "webchat.here" if here else "webchat.away")]
    page = row.page if row is not None else {}
    for field, label in (
        ("url", "url"),
        ("title", "title_of_page"),
        ("referrer", "referrer"),
        ("browser", "browser"),
        ("language", "language"),
    ):
        if page.get(field):
            lines.append((f"webchat.{label}", str(page[field])))
    if row is not None and row.email:
        lines.append(("webchat.email", row.email))
    if row is not None and row.verified_id:
        lines.append(("webchat.verified", row.verified_id))
    return lines
