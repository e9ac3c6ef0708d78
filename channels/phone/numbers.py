"""Phone numbers as the hub keeps them: E.164 when they can be read, else as the PBX wrote them.

A PBX logs numbers in the line's local habits (``13812345678``, ``02161234567``, ``0086…``) and
sometimes no number at all (a withheld caller, an operator's short code). The readable ones become
E.164 with the line's region, so one client is one contact however a call wrote them; the rest are
kept as given and flagged, never dropped: the call still happened.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from hub.errors import InvalidInput
from hub.intake.identities import normalise_phone

#: What a PBX extension looks like when no mapping names it: a few digits, nothing a public
#: network would route (the line's own numbers and clients' numbers are longer).
_EXTENSION = re.compile(r"^[0-9]{2,6}$")
#: Prefixes of SIP URIs and channel names a PBX puts around the number.
_SIP = re.compile(r"^(?:sips?:|tel:)?([^@;]+)(?:@.*)?$")


@dataclass(frozen=True, slots=True)
class Number:
    #: The raw text as logged (trimmed).
    given: str
    #: E.164, or ``None`` when the text is no number we can read.
    e164: str | None

    @property
    def value(self) -> str:
        """What the hub stores: E.164, or the text as given."""
        return self.e164 or self.given

    @property
    def flagged(self) -> bool:
        return self.e164 is None


def read(raw: str | None, region: str) -> Number:
    """``raw`` read with the line's ``region`` for numbers without a country code."""
    return _read((raw or "").strip(), region)


@functools.lru_cache(maxsize=65_536)
def _read(given: str, region: str) -> Number:
    """Cached: a day's log holds the same clients and extensions again and again."""
    match = _SIP.match(given)
    text = match.group(1) if match else given
    if not text or looks_like_extension(text):
        return Number(given, None)
    try:
        return Number(given, normalise_phone(text, region))
    except InvalidInput:
        return Number(given, None)


def looks_like_extension(text: str) -> bool:
    return bool(_EXTENSION.match(text.strip()))
