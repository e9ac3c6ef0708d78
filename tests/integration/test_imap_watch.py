"""Watching IMAP mailboxes against a real Dovecot: exact-once through restarts and renumbering,
IDLE, isolation of a failing mailbox and of a huge mail, mail the parser cannot read, one watcher
per mailbox, and TLS (implicit and STARTTLS) with a private CA."""

from __future__ import annotations

import asyncio
import json
import ssl
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa

from channels.email.config import MailboxConfig
from channels.email.imap import ImapProblem, ImapSession
from channels.email.watcher import WatchOptions
from channels.email.watching import MailboxWatchers
from hub.config import Settings
from hub.core import Hub
from hub.intake.cursors import list_status, read_cursor
from hub.models import Channel, RawInbound, Ticket
from hub.models.cursors import SourceCursor
from tests.certificates import TestCA, make_ca
from tests.conftest import make_settings
from tests.dovecot import PASSWORD, Dovecot, unavailable
from tests.email_helpers import mail, mailbox
from web.embedded import ServerUrls
from web.runtime import Runtime

_reason = unavailable()
pytestmark = [
    pytest.mark.anyio,
    pytest.mark.integration,
    pytest.mark.skipif(_reason is not None, reason=_reason or ""),
]

ENV = {"IMAP_TEST_PASSWORD": "secret", "IMAP_WRONG_PASSWORD": "not-the-password"}
ATTACHMENT_LIMIT = 1024 * 1024
OPTIONS = WatchOptions(lease_seconds=1.5, backoff_first=0.2, backoff_max=1.0, timeout=10.0)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot.in_temporary_folder().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(server_urls: ServerUrls, tmp_path: Path) -> Settings:
    return make_settings(server_urls, tmp_path, HUB_ATTACHMENT_MAX_BYTES=str(ATTACHMENT_LIMIT))


@pytest.fixture
def user(dovecot: Dovecot) -> str:
    return dovecot.new_user()


@pytest.fixture
async def watchers(runtime: Runtime) -> AsyncIterator[Callable[[], MailboxWatchers]]:
    """Start a set of watchers, as one worker replica does; all stopped at the end of the test."""
    started: list[MailboxWatchers] = []

    def start() -> MailboxWatchers:
        found = MailboxWatchers(runtime.hub, runtime.redis, refresh_seconds=0.5, options=OPTIONS, env=ENV)
        started.append(found.start())
        return found

    yield start
    for found in started:
        await found.stop()


async def watched(hub: Hub, dovecot: Dovecot, user: str, **config: object) -> Channel:
    settings: dict[str, object] = {
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_tls": "none",
        "imap_user": user,
        "imap_password_env": "IMAP_TEST_PASSWORD",
        "imap_poll_seconds": 0.3,
    }
    settings.update(config)
    return await mailbox(hub, address=user, **settings)


async def stored(hub: Hub, channel_id: uuid.UUID) -> int:
    async with hub.uow() as uow:
        return int(
            await uow.session.scalar(
                sa.select(sa.func.count()).select_from(RawInbound).where(RawInbound.channel_id == channel_id)
            )
            or 0
        )


async def eventually(check: Callable[[], object], within: float = 10.0, what: str = "condition") -> None:
    """Poll ``check`` (sync or async) until it is true; fail after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.05)


def handled(found: MailboxWatchers, channel_id: uuid.UUID) -> int:
    """Mails the watcher has finished with (stored, duplicate...): its outcome counts."""
    watcher = found.watchers.get(channel_id)
    return 0 if watcher is None else sum(n for k, n in watcher.counts.items() if k != "oversize")


async def count_is(hub: Hub, channel_id: uuid.UUID, expected: int) -> bool:
    return await stored(hub, channel_id) == expected


async def test_new_mail_is_ingested_once(hub: Hub, dovecot: Dovecot, user: str, watchers) -> None:
    for n in range(3):
        dovecot.append(user, mail(subject=f"订单问题 {n}"))
    channel = await watched(hub, dovecot, user)
    started = watchers()
    await eventually(lambda: handled(started, channel.id) == 3, what="three mails stored")
    watcher = started.watchers[channel.id]
    # A few more polls happen; nothing is fetched twice.
    polls = 0

    async def polled_again() -> bool:
        nonlocal polls
        polls += 1
        return polls > 10

    await eventually(polled_again)
    assert await stored(hub, channel.id) == 3
    assert watcher.counts == {"created": 3}
    cursor = await read_cursor(hub, channel.id, "INBOX")
    assert cursor is not None and cursor.position == 3
    assert cursor.validity == dovecot.uidvalidity(user)


async def test_restart_continues_from_the_cursor(hub: Hub, dovecot: Dovecot, user: str, watchers) -> None:
    dovecot.append(user, mail(subject="first"))
    dovecot.append(user, mail(subject="second"))
    channel = await watched(hub, dovecot, user)
    first = watchers()
    await eventually(lambda: handled(first, channel.id) == 2, what="two mails stored")
    await first.stop()
    dovecot.append(user, mail(subject="arrived while the worker was down"))
    second = watchers()
    await eventually(lambda: handled(second, channel.id) == 1, what="the third mail stored")
    assert await stored(hub, channel.id) == 3
    # The restarted watcher fetched only the new mail: nothing re-read, nothing lost.
    assert second.watchers[channel.id].counts == {"created": 1}
    async with hub.uow() as uow:
        subjects = set(await uow.session.scalars(sa.select(Ticket.subject)))
    assert {"first", "second", "arrived while the worker was down"} <= subjects


async def test_a_lost_cursor_rereads_the_folder_without_duplicates(
    hub: Hub, dovecot: Dovecot, user: str, watchers
) -> None:
    """The cursor row is gone (a restore of an older backup, an operator's cleanup): the watcher
    starts from UID 1 again, and every mail it already has is recognised by its Message-ID."""
    for n in range(3):
        dovecot.append(user, mail(subject=f"kept {n}"))
    channel = await watched(hub, dovecot, user)
    first = watchers()
    await eventually(lambda: handled(first, channel.id) == 3, what="three mails stored")
    await first.stop()
    async with hub.uow() as uow:
        await uow.session.execute(sa.delete(SourceCursor).where(SourceCursor.channel_id == channel.id))
        await uow.commit()
    dovecot.append(user, mail(subject="new while the cursor was lost"))
    second = watchers()
    await eventually(lambda: handled(second, channel.id) == 4, what="the folder read again")
    assert second.watchers[channel.id].counts == {"duplicate": 3, "created": 1}
    assert await stored(hub, channel.id) == 4
    cursor = await read_cursor(hub, channel.id, "INBOX")
    assert cursor is not None and cursor.position == 4


async def test_uidvalidity_change_rereads_without_duplicates(
    hub: Hub, dovecot: Dovecot, user: str, watchers
) -> None:
    dovecot.create_folder(user, "Support")
    mails = [mail(subject=f"renumbered {n}") for n in range(2)]
    for raw in mails:
        dovecot.append(user, raw, "Support")
    channel = await watched(hub, dovecot, user, imap_folder="Support")
    first = watchers()
    await eventually(lambda: handled(first, channel.id) == 2, what="two mails stored")
    await first.stop()
    before = dovecot.uidvalidity(user, "Support")
    # The server rebuilds the folder: same mails, new UIDVALIDITY, UIDs from 1 again; one new mail.
    dovecot.delete_folder(user, "Support")
    dovecot.create_folder(user, "Support")
    for raw in [*mails, mail(subject="new after the rebuild")]:
        dovecot.append(user, raw, "Support")
    after = dovecot.uidvalidity(user, "Support")
    assert after != before
    second = watchers()
    await eventually(lambda: handled(second, channel.id) == 3, what="the folder read again")
    assert second.watchers[channel.id].counts == {"duplicate": 2, "created": 1}
    assert await stored(hub, channel.id) == 3
    cursor = await read_cursor(hub, channel.id, "Support")
    assert cursor is not None and (cursor.validity, cursor.position) == (after, 3)


async def test_idle_reports_a_mail_appended_while_watching(
    hub: Hub, dovecot: Dovecot, user: str, watchers
) -> None:
    # Polling once an hour: only IDLE can bring the mail in within seconds.
    channel = await watched(hub, dovecot, user, imap_poll_seconds=3600)
    started = watchers()
    await eventually(
        lambda: channel.id in started.watchers and started.watchers[channel.id].idling, what="IDLE"
    )
    dovecot.append(user, mail(subject="pushed by IDLE"))
    await eventually(lambda: count_is(hub, channel.id, 1), within=5.0, what="the mail via IDLE")


async def test_a_wrong_password_does_not_stop_other_mailboxes(
    hub: Hub, dovecot: Dovecot, user: str, watchers
) -> None:
    other = dovecot.new_user()
    broken = await watched(hub, dovecot, other, imap_password_env="IMAP_WRONG_PASSWORD")
    working = await watched(hub, dovecot, user)
    dovecot.append(other, mail(subject="never fetched"))
    dovecot.append(user, mail(subject="fetched anyway"))
    watchers()
    await eventually(lambda: count_is(hub, working.id, 1), what="the working mailbox's mail")

    async def broken_shows_error() -> bool:
        status = {s.channel_id: s for s in await list_status(hub)}
        row = status.get(broken.id)
        return row is not None and row.state == "error" and "AUTHENTICATIONFAILED" in (row.error or "")

    await eventually(broken_shows_error, what="the error on the broken mailbox")
    assert await stored(hub, broken.id) == 0
    # Still retrying with backoff, while the working mailbox keeps up.
    dovecot.append(user, mail(subject="and the next one"))
    await eventually(lambda: count_is(hub, working.id, 2), what="the working mailbox's second mail")


def _with_attachment(subject: str, size: int) -> bytes:
    message = EmailMessage()
    message["From"] = "big@client.example"
    message["To"] = "support@hub.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@client.example>"
    message.set_content("见附件。")
    message.add_attachment(b"\x89PNG" + b"x" * size, maintype="image", subtype="png", filename="scan.png")
    return message.as_bytes()


async def test_huge_mails_are_stored_with_the_oversize_noted(
    hub: Hub, dovecot: Dovecot, user: str, watchers
) -> None:
    other = dovecot.new_user()
    big = await watched(hub, dovecot, user, imap_max_message_bytes=4 * 1024 * 1024)
    small = await watched(hub, dovecot, other)
    dovecot.append(user, _with_attachment("3 MB attachment", 3 * 1024 * 1024 // 4 * 3))
    dovecot.append(user, _with_attachment("6 MB mail", 6 * 1024 * 1024))
    dovecot.append(other, mail(subject="small and quick"))
    started = watchers()
    await eventually(lambda: count_is(hub, small.id, 1), what="the small mailbox's mail")
    await eventually(lambda: handled(started, big.id) == 2, within=20.0, what="both huge mails")
    assert started.watchers[big.id].counts == {"created": 2, "oversize": 1}
    async with hub.uow() as uow:
        rows = {
            r.message["subject"]: r
            for r in await uow.session.scalars(sa.select(RawInbound).where(RawInbound.channel_id == big.id))
        }
    attachment = rows["3 MB attachment"].message
    assert attachment["meta"]["omitted_attachments"][0]["reason"] == "too_large"
    header_only = rows["6 MB mail"]
    assert "only its header was fetched" in header_only.message["text"]
    assert header_only.payload is not None and len(header_only.payload) < 10_000


def _without_sender(subject: str, attachment: int = 0) -> bytes:
    message = EmailMessage()
    message["To"] = "support@hub.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@nowhere.example>"
    message.set_content("Who sent this?")
    if attachment:
        message.add_attachment(b"x" * attachment, maintype="application", subtype="pdf", filename="a.pdf")
    return message.as_bytes()


async def test_mail_that_cannot_be_read_is_kept_rejected_and_the_mailbox_goes_on(
    hub: Hub, dovecot: Dovecot, user: str, watchers
) -> None:
    limit = 64 * 1024
    channel = await watched(hub, dovecot, user, imap_max_message_bytes=limit)
    poison = [
        _without_sender("no From at all"),
        b"\x00\x01\x02 not a mail \xff\xfe\r\n" * 20,
        _without_sender("no From and over the limit", attachment=2 * limit),
    ]
    for raw in poison:
        dovecot.append(user, raw)
    dovecot.append(user, _with_attachment("over the limit but readable", 2 * limit))
    dovecot.append(user, mail(subject="a good mail after the bad ones"))
    started = watchers()
    await eventually(lambda: handled(started, channel.id) == 5, what="all five mails dealt with")
    assert started.watchers[channel.id].counts == {"rejected": 3, "created": 2, "oversize": 2}
    cursor = await read_cursor(hub, channel.id, "INBOX")
    assert cursor is not None and cursor.position == 5
    status = {s.channel_id: s for s in await list_status(hub)}[channel.id]
    assert status.state == "watching" and status.error is None
    async with hub.uow() as uow:
        rows = list(
            await uow.session.scalars(sa.select(RawInbound).where(RawInbound.channel_id == channel.id))
        )
        subjects = set(await uow.session.scalars(sa.select(Ticket.subject)))
    rejected = sorted((r.error or "") for r in rows if r.status.value == "rejected")
    assert len(rejected) == 3 and sum("no sender address" in e for e in rejected) == 2
    assert any("no mail headers" in e for e in rejected)
    # The bytes are kept for an operator (the oversize one as its header and the note).
    assert all(r.payload for r in rows)
    assert subjects == {"over the limit but readable", "a good mail after the bad ones"}
    # And the mailbox keeps going.
    dovecot.append(user, mail(subject="and the next one"))
    await eventually(lambda: handled(started, channel.id) == 6, what="the mail after")


async def test_two_watchers_for_one_mailbox_one_wins_the_lock(
    hub: Hub, dovecot: Dovecot, user: str, watchers
) -> None:
    channel = await watched(hub, dovecot, user)
    one, two = watchers(), watchers()

    def states() -> set[str]:
        return {w.watchers[channel.id].state for w in (one, two) if channel.id in w.watchers}

    await eventually(lambda: states() == {"watching", "standby"}, what="one watching, one standing by")
    dovecot.append(user, mail(subject="for whoever holds the lock"))
    await eventually(lambda: handled(one, channel.id) + handled(two, channel.id) == 1)
    winner, loser = (one, two) if one.watchers[channel.id].state == "watching" else (two, one)
    assert winner.watchers[channel.id].counts == {"created": 1}
    assert not loser.watchers[channel.id].counts
    # The winner stops (a replica going away): the other takes over within a lease.
    await winner.stop()
    dovecot.append(user, mail(subject="after the hand-over"))
    await eventually(lambda: handled(loser, channel.id) == 1, what="the stand-by taking over")
    assert await stored(hub, channel.id) == 2
    assert loser.watchers[channel.id].counts == {"created": 1}


async def test_cli_adds_a_watched_mailbox_and_lists_its_error(
    hub: Hub, dovecot: Dovecot, user: str, watchers, run_cli
) -> None:
    added = await run_cli(
        "channel", "add", "email", "--name", "IMAP 邮箱", "--address", user,
        "--imap-host", "127.0.0.1", "--imap-port", str(dovecot.port), "--imap-tls", "none",
        "--imap-password-env", "IMAP_WRONG_PASSWORD", "--imap-folder", "INBOX",
        "--imap-poll-seconds", "5", "--no-imap-idle", "--json",
    )  # fmt: skip
    assert added.code == 0, added.err
    channel_id = uuid.UUID(json.loads(added.out)["id"])
    watchers()

    async def listed_error() -> bool:
        rows = json.loads((await run_cli("channel", "list", "--json")).out)
        sources = rows[0]["sources"]
        return bool(sources) and sources[0]["state"] == "error"

    await eventually(listed_error, within=30.0, what="the error in `hub channel list`")
    rows = json.loads((await run_cli("channel", "list", "--json")).out)
    assert rows[0]["config"] == {
        "address": user,
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_tls": "none",
        "imap_password_env": "IMAP_WRONG_PASSWORD",
        "imap_folder": "INBOX",
        "imap_poll_seconds": 5.0,
        "imap_idle": False,
    }
    assert "AUTHENTICATIONFAILED" in rows[0]["sources"][0]["error"]
    text = (await run_cli("channel", "list")).out
    assert f"{channel_id}" in text and "INBOX: error" in text


# -- TLS ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return make_ca(tmp_path_factory.mktemp("imap-tls"))


@pytest.fixture(scope="module")
def tls_dovecot(ca: TestCA) -> Iterator[Dovecot]:
    """A second Dovecot with a certificate from the test CA: STARTTLS on ``port``, TLS on ``tls_port``."""
    server = Dovecot.in_temporary_folder(certificate=(ca.cert_file, ca.key_file)).start()
    try:
        yield server
    finally:
        server.stop()


def _tls_port(server: Dovecot, mode: str) -> int:
    return server.tls_port if mode == "tls" else server.port


@pytest.mark.parametrize("mode", ["tls", "starttls"])
async def test_a_mailbox_is_watched_over_tls(
    hub: Hub, tls_dovecot: Dovecot, ca: TestCA, watchers, mode: str
) -> None:
    user = tls_dovecot.new_user()
    channel = await watched(
        hub,
        tls_dovecot,
        user,
        imap_tls=mode,
        imap_port=_tls_port(tls_dovecot, mode),
        tls_ca_file=str(ca.ca_file),
    )
    # The session the watcher opens is encrypted before the login is sent.
    session = await asyncio.to_thread(ImapSession.open, MailboxConfig.of(channel.config), PASSWORD)
    try:
        assert isinstance(session.client.socket(), ssl.SSLSocket)
        assert session.client.socket().version() in ("TLSv1.2", "TLSv1.3")
    finally:
        await asyncio.to_thread(session.close)
    tls_dovecot.append(user, mail(subject=f"加密的邮件 ({mode})"))
    started = watchers()
    await eventually(lambda: handled(started, channel.id) == 1, what="the mail over TLS")
    async with hub.uow() as uow:
        subjects = list(await uow.session.scalars(sa.select(Ticket.subject)))
    assert subjects == [f"加密的邮件 ({mode})"]


@pytest.mark.parametrize("mode", ["tls", "starttls"])
async def test_an_untrusted_imap_certificate_is_shown_and_nothing_is_read(
    hub: Hub, tls_dovecot: Dovecot, watchers, mode: str
) -> None:
    """No tls_ca_file: the system's CAs do not know the test CA, so no password is sent."""
    user = tls_dovecot.new_user()
    tls_dovecot.append(user, mail(subject="never read"))
    channel = await watched(hub, tls_dovecot, user, imap_tls=mode, imap_port=_tls_port(tls_dovecot, mode))
    with pytest.raises(ImapProblem, match="not trusted"):
        await asyncio.to_thread(ImapSession.open, MailboxConfig.of(channel.config), PASSWORD)
    watchers()

    async def shows_error() -> bool:
        row = {s.channel_id: s for s in await list_status(hub)}.get(channel.id)
        return row is not None and row.state == "error" and "not trusted" in (row.error or "")

    await eventually(shows_error, what="the certificate error on the mailbox")
    assert "tls_ca_file" in {s.channel_id: s for s in await list_status(hub)}[channel.id].error
    assert await stored(hub, channel.id) == 0
