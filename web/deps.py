"""Request-scoped dependencies shared by the API controllers."""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub


async def provide_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read session for queries; writes go through the hub's use-cases and their own transactions."""
    hub: Hub = request.app.state.hub
    async with hub.session_factory() as session:
        yield session


def provide_hub(request: Request) -> Hub:
    return request.app.state.hub
