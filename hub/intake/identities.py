"""Normalising channel identities so one person is recognised however they write their address."""

from __future__ import annotations

import functools

from hub.domain import ChannelKind
from hub.errors import InvalidInput

DEFAULT_PHONE_REGION = "CN"


def normalise(kind: ChannelKind, value: str, *, keep_unparseable: bool = False) -> str:
    """The identity as stored. ``keep_unparseable``: the funnel's way, where a phone number a PBX
    logged that is no number we can read (a withheld caller, an operator's short code) is kept as
    given rather than losing the call; the channel flags it on the message."""
    value = value.strip()
    if not value:
        raise InvalidInput(detail="sender identity is empty")
    if kind is ChannelKind.EMAIL:
        if "@" not in value:
            raise InvalidInput(detail=f"not an e-mail address: {value!r}")
        return value.lower()
    if kind is ChannelKind.PHONE:
        try:
            return normalise_phone(value)
        except InvalidInput:
            if keep_unparseable:
                return value
            raise
    return value


#: E.164 numbers :func:`normalise_phone` produced: one given again (the phone channel reads a
#: call's numbers with it, then the engine normalises the sender's identity) is returned as is,
#: since parsing a number in E.164 gives the number itself. Bounded like the parse cache.
_PRODUCED: set[str] = set()
_PRODUCED_LIMIT = 65_536


def normalise_phone(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164; numbers without a country code are read as Chinese numbers. Cached: an import of a
    call log reads the same clients' numbers again and again, and parsing one costs ~60 µs."""
    if value in _PRODUCED:
        return value
    e164 = _parse_phone(value, region)
    if len(_PRODUCED) < _PRODUCED_LIMIT:
        _PRODUCED.add(e164)
    return e164


@functools.lru_cache(maxsize=65_536)
def _parse_phone(value: str, region: str) -> str:
    # Imported here: its metadata costs every process that stores contacts (each `hub` command)
    # tens of milliseconds, and only phone identities need it.
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(detail=f"not a phone number: {value!r}") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput(detail=f"not a phone number: {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_domain(value: str) -> str | None:
    return value.rsplit("@", 1)[1].lower() if "@" in value else None
