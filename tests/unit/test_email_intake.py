"""Pure parts of mailbox watching and direct delivery: recipients, oversize notes, settings."""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy

import pytest

from channels.email.config import MailboxConfig
from channels.email.imap import _oversize_mail
from channels.email.ingest import EmailIngest, Mailboxes
from channels.email.listener import recipient_channel
from channels.spec import SettingsProblem, check_form

SUPPORT, SALES = uuid.uuid4(), uuid.uuid4()


def _ingest() -> EmailIngest:
    configs = {
        SUPPORT: MailboxConfig(address="support@hub.example"),
        SALES: MailboxConfig(address="sales@hub.example"),
    }
    mailboxes = Mailboxes(configs=configs, addresses=frozenset(), domains=frozenset({"hub.example"}))
    return EmailIngest(hub=None, mailboxes=mailboxes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("support@hub.example", SUPPORT),
        ("<Support@HUB.example>", SUPPORT),
        ("support+t1a2b3@hub.example", SUPPORT),
        ("sales+anything+more@hub.example", SALES),
        ("support@other.example", None),
        ("supportx@hub.example", None),
        ("not-an-address", None),
    ],
)
def test_recipients_are_our_addresses_and_their_plus_variants(
    address: str, expected: uuid.UUID | None
) -> None:
    assert recipient_channel(_ingest(), address) == expected


def test_an_oversize_mail_keeps_its_header_and_says_why() -> None:
    header = (
        b"From: big@client.example\r\nMessage-ID: <big-1@client.example>\r\nSubject: scans\r\n"
        b'Content-Type: multipart/mixed;\r\n boundary="xyz"\r\nMIME-Version: 1.0\r\n\r\n'
    )
    raw = _oversize_mail(header, 90_000_000, 64_000_000, "INBOX")
    assert raw == _oversize_mail(header, 90_000_000, 64_000_000, "INBOX")  # stable: re-reads dedupe
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Message-ID"] == "<big-1@client.example>"
    assert parsed.get_content_type() == "text/plain"
    assert parsed["X-Hub-Oversize"] == "90000000"
    assert "only its header was fetched" in parsed.get_content()  # type: ignore[attr-defined]


def test_imap_settings_defaults() -> None:
    config = MailboxConfig.of({"address": "Support@Hub.example", "imap_host": "imap.hub.example"})
    assert config.watched and config.imap_port_number == 993 and config.imap_login == "support@hub.example"
    assert MailboxConfig.of({"imap_tls": "starttls"}).imap_port_number == 143
    assert not MailboxConfig.of({"address": "a@b.example"}).watched
    assert config.imap_password({"X": "y"}) is None
    assert MailboxConfig.of({"imap_password_env": "X"}).imap_password({"X": "y"}) == "y"


@pytest.mark.parametrize(
    "config",
    [
        {"imap_password": "hunter2"},
        {"imap_tls": "ssl"},
        {"imap_port": 0},
        {"imap_poll_seconds": 0},
        {"imap_max_message_bytes": -1},
        {"imap_idle": "yes"},
    ],
)
def test_bad_imap_settings_are_refused(config: dict[str, object]) -> None:
    with pytest.raises(SettingsProblem, match=f"^{next(iter(config))}: "):
        check_form(MailboxConfig, {"address": "support@hub.example", **config})
