"""Our Message-IDs, reply addresses and artificial ids.

Every mail we send carries ``<hub.<reply token>.<key>@<domain>>``: a client's reply names it in
In-Reply-To/References, so it threads back even through clients that drop the Reply-To, and a
bounce names it in the returned headers, so the failed message is found without a lookup table.
The reply token is the ticket's unguessable token; the key is our message's id.
"""

from __future__ import annotations

import hashlib
import re

_OURS = re.compile(r"^<hub\.([0-9a-f]{16,32})\.([0-9a-z]{1,40})@([^<>\s]+)>$")
#: The store keeps external ids up to 500 characters; longer Message-IDs are kept as a digest,
#: the same on the message and in every later reference to it.
MAX_ID = 500


def ours(token: str, key: str, domain: str) -> str:
    return f"<hub.{token}.{key}@{domain}>"


def parse_ours(message_id: str, domains: frozenset[str] | None = None) -> tuple[str, str] | None:
    """``(reply token, key)`` when ``message_id`` is one we made (for one of ``domains``)."""
    match = _OURS.match(message_id.strip())
    if match is None:
        return None
    if domains is not None and match.group(3).lower() not in domains:
        return None
    return match.group(1), match.group(2)


def reply_address(address: str, token: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local}+{token}@{domain}"


def token_in_address(address: str, mailboxes: frozenset[str]) -> str | None:
    """The token of ``support+<token>@domain`` when ``support@domain`` is one of our mailboxes."""
    local, _, domain = address.lower().partition("@")
    base, plus, token = local.partition("+")
    if not plus or not re.fullmatch(r"[0-9a-f]{16,32}", token):
        return None
    return token if f"{base}@{domain}" in mailboxes else None


def normalise(message_id: str) -> str:
    message_id = message_id.strip()
    if len(message_id) <= MAX_ID:
        return message_id
    return f"<sha256.{hashlib.sha256(message_id.encode('utf-8', 'surrogateescape')).hexdigest()}@long-id.hub>"


_SIGNIFICANT = ("from", "to", "cc", "date", "subject")


def artificial(raw: bytes) -> str:
    """A stable id for a mail without Message-ID: a digest of its significant headers and body.

    Transport headers (Received, Delivered-To, Return-Path) differ between copies of one mail
    (IMAP, an exported .eml, a second mailbox), so they are left out; line endings are
    normalised because the same file comes with CRLF from a server and LF from a disk.
    """
    text = raw.replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    unfolded = re.sub(rb"\n[ \t]+", b" ", head)
    fields = {}
    for line in unfolded.split(b"\n"):
        name, colon, value = line.partition(b":")
        key = name.strip().lower().decode("ascii", "replace")
        if colon and key in _SIGNIFICANT and key not in fields:
            fields[key] = b" ".join(value.split())
    digest = hashlib.sha256()
    for key in _SIGNIFICANT:
        digest.update(key.encode() + b":" + fields.get(key, b"") + b"\n")
    digest.update(b"\n" + body.rstrip())
    return f"<{digest.hexdigest()[:40]}@no-message-id.hub>"
