"""Header values and addresses, decoded from the raw header text with our charset rules.

The parser's header objects (``email.policy.default``) decode RFC 2047 words with the declared
label, so a ``=?gb2312?B?…?=`` word holding GBK bytes comes out as garbage, and raw 8-bit
headers become replacement characters. We read ``raw_items()`` instead and decode ourselves:
raw bytes recovered from their surrogate escapes, encoded words joined when adjacent (a word
may end in the middle of a multi-byte character), each decoded by :mod:`channels.email.charsets`.
It is also several times faster than building the header registry's objects.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from channels.email.charsets import decode, recover

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n[ \t]")
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")


def raw(message: Message, name: str) -> str | None:
    """The first raw value of header ``name`` (unfolded), or ``None``."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return _FOLD.sub(" ", str(value)).strip()
    return None


def raw_all(message: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [_FOLD.sub(" ", str(v)).strip() for k, v in message.raw_items() if k.lower() == wanted]


def text(value: str | None) -> str:
    """A header value as readable text: 8-bit bytes recovered, RFC 2047 words decoded."""
    if not value:
        return ""
    value = recover(value)
    if "=?" in value:
        value = _decode_words(value)
    return " ".join(value.split())


@dataclass
class _Word:
    """A run of adjacent encoded words of one charset, kept as bytes until the run ends."""

    data: bytes
    charset: str


def _decode_words(value: str) -> str:
    """RFC 2047 words decoded; whitespace between two words dropped, adjacent words of one
    charset joined before decoding (clients split words inside a multi-byte character)."""
    pieces: list[str | _Word] = []  # literal text, or a run of encoded words
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        follows_word = bool(pieces) and isinstance(pieces[-1], _Word)
        if between and not (follows_word and between.isspace()):
            pieces.append(between)
        charset, encoding, payload = match.group(1).split("*")[0], match.group(2), match.group(3)
        data = _word_bytes(encoding, payload)
        last = pieces[-1] if pieces else None
        if data is None:
            pieces.append(match.group(0))
        elif isinstance(last, _Word) and last.charset == charset.lower():
            last.data += data
        else:
            pieces.append(_Word(data, charset.lower()))
        position = match.end()
    pieces.append(value[position:])
    return "".join(decode(p.data, p.charset)[0] if isinstance(p, _Word) else p for p in pieces)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            return base64.b64decode(payload + "=" * (-len(payload) % 4))
        return binascii.a2b_qp(payload.encode("ascii"), header=True)
    except (binascii.Error, ValueError):
        return None


def header(message: Message, name: str) -> str:
    return text(raw(message, name))


def addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    """``(display name, address)`` pairs from the named headers; addresses lower-cased."""
    values = [recover(v) for name in names for v in raw_all(message, name)]
    found = []
    for display, address in getaddresses(values):
        address = address.strip().strip("<>").lower()
        if "@" not in address:
            continue
        found.append((text(display).strip().strip('"').strip(), address))
    return found


def message_ids(value: str | None) -> list[str]:
    """Message-IDs in a header (In-Reply-To, References), ``<>`` kept, in order, without repeats."""
    if not value:
        return []
    ids = [f"<{m}>" for m in _ANGLE_ID.findall(value)]
    if not ids:
        ids = [f"<{token.strip('<>')}>" for token in value.split() if "@" in token]
    return list(dict.fromkeys(ids))
