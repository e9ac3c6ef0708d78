"""The e-mail kind: a mailbox, sending replies over SMTP and watched over IMAP by the worker.

Mail also arrives by file import (``hub ingest email``) and by the SMTP listener (``hub email
listen``); both are commands of their own, not HTTP routes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from channels.email.config import MailboxConfig
from channels.spec import ChannelSpec, Connection, Finding, Resources

if TYPE_CHECKING:
    from channels.email.watching import MailboxWatchers
    from hub.core import Hub
    from hub.models import Channel


def _store(
    form: MailboxConfig, channel_id: uuid.UUID, master_key: str, previous: Mapping[str, Any]
) -> dict[str, Any]:
    stored: dict[str, Any] = msgspec.to_builtins(form)
    stored["address"] = form.address.strip().lower()
    return stored


def _connect(resources: Resources) -> Connection:
    from channels.email.sender import SmtpSender

    def watch(hub: Hub) -> MailboxWatchers:
        from channels.email.watching import MailboxWatchers

        return MailboxWatchers(hub, resources.redis).start()

    return Connection(sender=SmtpSender(storage=resources.storage), watch=watch)


async def _check(connection: Connection, hub: Hub, channel: Channel) -> list[Finding]:
    from channels.email.checks import check_mailbox

    return await check_mailbox(connection, hub, channel)


SPEC = ChannelSpec(
    kind="email",
    title={"zh-CN": "邮箱", "en": "Mailbox"},
    form=MailboxConfig,
    store=_store,
    # Room for long threads (the full original, quotes included, is kept beside the body).
    body_limit=50_000,
    connect=_connect,
    check=_check,
    example=(
        "hub channel add email --name 客服邮箱 --address support@example.com --smtp-host smtp.example.com "
        "--smtp-user support@example.com --smtp-password-env HUB_SMTP_PASSWORD "
        "--imap-host imap.example.com --imap-password-env HUB_IMAP_PASSWORD"
    ),
)
