"""Damaged mails that once made the parser raise (found by mutating the corpus): each is read,
and whatever still trips a fault comes out as :class:`Unparsable`, which every caller stores as
rejected and moves past, never as an exception that stops a mailbox or an import."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from channels.email import quotes
from channels.email.parse import Mailbox, Unparsable, parse

#: Corpus mails damaged by random mutation (byte flips, cuts, splices) that made the parser raise.
DAMAGED = Path(__file__).resolve().parent.parent / "fixtures" / "email" / "damaged"

MAILBOX = Mailbox(
    channel_id=uuid.uuid4(),
    our_addresses=frozenset({"support@hub.example"}),
    our_domains=frozenset({"hub.example"}),
)

#: An encoded-word whose charset label carries a NUL byte (codecs.lookup raised ValueError).
NUL_IN_CHARSET = (
    b"From: wang@client.example\r\nTo: support@hub.example\r\n"
    b"Subject: =?gb\x002312?B?1tC5+g==?=\r\nMessage-ID: <nul-label@client.example>\r\n\r\nhi\r\n"
)

#: A DSN returning the original's headers with raw 8-bit bytes: compat32 gave a Header object
#: for its Message-ID, where a string was expected (TypeError).
DSN_WITH_8BIT_RETURNED_HEADERS = (
    b"From: MAILER-DAEMON@mx.client.example\r\nTo: support@hub.example\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-8bit@mx.client.example>\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
    b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.client.example\r\n\r\n"
    b"Final-Recipient: rfc822; li@client.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@hub.example\r\n"
    b"Subject: \xc4\xfa\xba\xc3\r\nMessage-ID: <orig-\xff@hub.example>\r\n\r\n--b--\r\n"
)

#: A day of the month too large for a C integer (datetime raised OverflowError).
HUGE_DAY = (
    b"From: wang@client.example\r\nTo: support@hub.example\r\nSubject: date\r\n"
    b"Date: Sat, 250123456789 Jan 2025 11:00:00 +0800\r\nMessage-ID: <huge-day@client.example>\r\n\r\nhi\r\n"
)


def test_a_nul_in_a_charset_label_is_an_unknown_charset() -> None:
    parsed = parse(NUL_IN_CHARSET, MAILBOX)
    assert parsed.kind == "message" and parsed.message is not None
    assert parsed.message.sender.identity == "wang@client.example"


def test_a_bounce_with_8bit_returned_headers_is_still_a_bounce() -> None:
    parsed = parse(DSN_WITH_8BIT_RETURNED_HEADERS, MAILBOX)
    assert parsed.kind == "bounce" and parsed.bounce is not None
    assert parsed.bounce.failed and parsed.bounce.status == "5.1.1"
    assert "li@client.example" in parsed.bounce.recipients


def test_an_impossible_date_is_no_date() -> None:
    parsed = parse(HUGE_DAY, MAILBOX)
    assert parsed.kind == "message" and parsed.message is not None and parsed.message.sent_at is None


@pytest.mark.parametrize("name", sorted(p.name for p in DAMAGED.glob("*.eml")))
def test_damaged_corpus_mails_are_read(name: str) -> None:
    """Each used to raise (a generator refusing to re-serialise an attached mail, a transfer
    encoding given as the charset); now each is a client's message with what could be read."""
    parsed = parse((DAMAGED / name).read_bytes(), MAILBOX)
    assert parsed.kind == "message" and parsed.message is not None
    assert parsed.message.sender.identity.endswith("@client.example")


def test_a_fault_in_our_own_reading_rejects_that_mail_with_the_reason(monkeypatch, caplog) -> None:
    """The safety net for faults no damaged mail reaches today: the next bug in quote stripping (or
    anywhere in our reading) must make one rejected mail with its reason, not an exception that
    stops the mailbox or import."""

    def broken(text: str) -> str:
        raise IndexError("a bug in quote stripping")

    monkeypatch.setattr(quotes, "strip_reply", broken)
    with pytest.raises(Unparsable) as caught:
        parse(HUGE_DAY, MAILBOX)
    assert (
        caught.value.reason
        == "the mail could not be read (parser fault: IndexError: a bug in quote stripping)"
    )
    assert "cannot parse a mail of" in caplog.text  # logged with its traceback for the fix
