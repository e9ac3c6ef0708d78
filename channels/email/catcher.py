"""A mail catcher for ``hub serve --demo``: replies go out over real SMTP and stop here.

A demo has no mail server to hand, and a reply that fails with "no SMTP host" teaches nothing.
The demo mailbox instead delivers to this SMTP server on 127.0.0.1, which keeps every mail it is
given in a Maildir under the data folder: the whole outbound path runs (outbox, worker, MIME,
threading headers, SMTP dialogue), the reply shows as sent, and nothing leaves the machine.
Open the files with any mail client, or read them as text.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


class _KeepInMaildir:
    def __init__(self, folder: Path) -> None:
        self.box = mailbox.Maildir(folder, create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        await asyncio.to_thread(self.box.add, content)
        return "250 Kept in the demo outbox"


@asynccontextmanager
async def mail_catcher(folder: Path) -> AsyncIterator[int]:
    """Serve SMTP on a free loopback port (yielded) for as long as the block runs."""
    handler = _KeepInMaildir(folder)

    def connection() -> SMTP:
        return SMTP(handler, hostname="demo-outbox.invalid", enable_SMTPUTF8=True, ident="hub demo outbox")

    # aiosmtpd logs every SMTP session line by line at INFO ("mail.log"): in a demo's terminal that
    # buried the hub's own messages under each survey and reply the demo sends to itself.
    sessions = logging.getLogger("mail.log")
    level = sessions.level
    sessions.setLevel(max(level, logging.WARNING))
    server = await asyncio.get_running_loop().create_server(connection, HOST, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        sessions.setLevel(level)
