"""Mails, fuzzed: every mail is read into a message, a bounce or our own, or refused as
``Unparsable`` with a reason. The parser's public entry turns any fault into ``Unparsable`` as a
safety net (one bad mail must not stop a mailbox); these tests call the reading underneath it,
so a fault the net would hide fails here instead.

Inputs: the corpus and the bounce samples with bytes changed, cut and repeated, and mails built
from parts that go wrong in the wild (RFC 2047 words in odd charsets, broken transfer encodings,
nested and truncated multiparts, absurd dates and addresses).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from channels.email.parse import Mailbox, Unparsable, _parse
from tests.fuzz.budget import fuzz

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "email"
CORPUS = sorted(path.read_bytes() for path in FIXTURES.rglob("*.eml"))
MAILBOX = Mailbox(
    channel_id=uuid.UUID(int=1),
    our_addresses=frozenset({"support@hub.example"}),
    our_domains=frozenset({"hub.example"}),
    max_attachment_bytes=64 * 1024,
)


def _read(raw: bytes) -> None:
    try:
        parsed = _parse(raw, MAILBOX)
    except Unparsable as exc:
        assert exc.reason
        return
    assert parsed.kind in ("message", "bounce", "own")
    if parsed.kind == "message":
        assert parsed.message is not None and parsed.message.sender.identity


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=max(len(raw) - 1, 0)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
        if action == "flip" and raw:
            raw[at] = draw(st.integers(min_value=0, max_value=255))
        elif action == "cut":
            del raw[at : at + draw(st.integers(min_value=1, max_value=64))]
        elif action == "insert":
            raw[at:at] = draw(st.sampled_from(SNIPPETS))
        elif action == "repeat":
            raw[at:at] = raw[at : at + draw(st.integers(min_value=1, max_value=200))] * 3
        else:
            del raw[at:]
    return bytes(raw)


SNIPPETS = [
    b"\r\n", b"\n\n", b"=?", b"?=", b"=?gb2312?B?", b"=?utf-8?Q?=E4=B8", b"=?x-unknown?B?AAAA?=", b"--",
    b'boundary="', b"Content-Type: multipart/mixed; boundary=x\r\n", b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n", b"=\r\n", b"=ZZ", b"charset=\"\"", b"\x00", b"\xff\xfe",
    b"Date: Mon, 99 Foo 99999 99:99:99 +9999\r\n", b"From: <>\r\n", b"From: \"\" <@>\r\n", b"Message-ID: <>\r\n",
    b"References: <a> <b\r\n", b"Subject: " + "我".encode("gb18030") * 40 + b"\r\n",
    b"Content-Disposition: attachment; filename*=utf-8''%E4%B8\r\n", b"Content-ID: <\r\n",
]  # fmt: skip
HEADER_NAMES = [
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Reply-To", "Sender",
    "Auto-Submitted", "Precedence", "X-Autoreply", "Return-Path", "Content-Type", "Content-Transfer-Encoding",
    "MIME-Version", "Content-Disposition", "X-Failed-Recipients",
]  # fmt: skip
CHARSETS = ["utf-8", "gb2312", "gbk", "gb18030", "big5", "iso-8859-1", "us-ascii", "x-unknown", "utf-7", ""]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus", ""]
TYPES = [
    "text/plain", "text/html", "multipart/mixed", "multipart/alternative", "multipart/report", "message/rfc822",
    "message/delivery-status", "application/octet-stream", "image/png", "text/rfc822-headers", "bogus",
]  # fmt: skip


@st.composite
def part(draw: st.DrawFn, depth: int = 0) -> bytes:
    kind = draw(st.sampled_from(TYPES if depth < 3 else TYPES[:2]))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    head = f'Content-Type: {kind}; charset="{charset}"'.encode()
    if kind.startswith("multipart/"):
        boundary = draw(st.sampled_from(["b1", "b2", "", "=_x", "b1 b2"]))
        head += f'; boundary="{boundary}"'.encode()
        children = draw(st.lists(part(depth + 1), max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + child + b"\r\n" for child in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"
    elif kind == "message/rfc822" and depth < 3:
        body = draw(mail(depth + 1))
    else:
        text = draw(st.text(max_size=200))
        body = text.encode(draw(st.sampled_from(["utf-8", "gb18030", "big5"])), "replace")
    extra = draw(st.lists(st.sampled_from(HEADER_NAMES[12:]), max_size=2))
    lines = [head, f"Content-Transfer-Encoding: {encoding}".encode()]
    lines += [f"{name}: {draw(st.text(max_size=30))}".encode("utf-8", "replace") for name in extra]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


@st.composite
def mail(draw: st.DrawFn, depth: int = 0) -> bytes:
    headers = []
    for name in draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=10)):
        value = draw(
            st.one_of(
                st.text(max_size=60),
                st.sampled_from(
                    [
                        "王小明 <wang@client.example>",
                        "=?gbk?B?zfXQoeH3?= <wang@client.example>",
                        "<>",
                        "support@hub.example",
                        "undisclosed-recipients:;",
                        "auto-replied",
                        "bulk",
                        "Mon, 32 Dec 2026 25:61:61 +0800",
                        "<abc@hub.example> <def@x>",
                        "=?utf-8?B?5oiR?=",
                    ]
                ),
            )
        )
        headers.append(f"{name}: {value}".encode("utf-8", "replace").replace(b"\n", b" "))
    body = draw(part(depth)) if draw(st.booleans()) else b"\r\n" + draw(st.binary(max_size=300))
    return b"\r\n".join(headers) + b"\r\n" + body


@fuzz
@given(damaged())
def test_a_damaged_mail_from_the_corpus_is_read_or_refused_with_a_reason(raw: bytes) -> None:
    _read(raw)


@fuzz
@given(mail())
def test_a_built_mail_is_read_or_refused_with_a_reason(raw: bytes) -> None:
    _read(raw)


@fuzz
@given(st.binary(max_size=3000))
def test_any_bytes_are_read_or_refused_with_a_reason(raw: bytes) -> None:
    _read(raw)
