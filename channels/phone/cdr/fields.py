"""The small values every CDR format writes in its own way: times, caller ids, channel names,
recordings, queue names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LocalClock:
    """Reads the times a PBX writes without a zone (Asterisk's and FreeSWITCH's stamps are local
    unless the PBX was told otherwise) in the zone the importer names, and returns aware UTC.

    The legs of a call repeat its stamps, so each text is converted once (a log of 100,000 rows
    spends a good part of its reading here)."""

    __slots__ = ("_seen", "zone")

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._seen: dict[str, datetime] = {}

    def read(self, text: str) -> datetime | None:
        """``None`` for an empty field (an unanswered call's answer time); ValueError for anything
        that is not an ISO-style date and time (``2026-10-01 09:00:00``, a fraction, an offset)."""
        seen = self._seen.get(text)
        if seen is not None:
            return seen
        stripped = text.strip()
        if not stripped:
            return None
        moment = _utc(datetime.fromisoformat(stripped), self.zone)
        if len(self._seen) >= 4096:  # a log goes forward in time: old stamps do not come back
            self._seen.clear()
        self._seen[text] = moment
        return moment

    def read_format(self, text: str, pattern: str) -> datetime | None:
        """A spreadsheet's own format (``%Y/%m/%d %H:%M``), read in the importer's zone."""
        text = text.strip()
        if not text:
            return None
        return _utc(datetime.strptime(text, pattern), self.zone)


def _utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """A time read in ``zone`` (unless it names its own) in UTC; ValueError for a time whose UTC
    falls outside what a datetime can hold (year 1 east of Greenwich)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{moment.replace(tzinfo=None).isoformat(sep=' ')} is out of range") from None


def whole(text: str) -> int | None:
    """A count of seconds or a sequence number (ASCII digits, a sane length), else None: ``²`` is
    a digit to ``str.isdigit`` and not to ``int``."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def from_epoch(text: str, *, micro: bool = False) -> datetime | None:
    """An epoch count (UTC by definition); ``0`` or empty means the moment never happened."""
    text = text.strip()
    if not text:
        return None
    value = int(text)
    if value <= 0:
        return None
    seconds, fraction = divmod(value, 1_000_000) if micro else (value, 0)
    return _EPOCH + timedelta(seconds=seconds, microseconds=fraction)


def looks_like_time(text: str) -> bool:
    """Whether a field is an ISO-style date and time: how formats are told apart by their columns."""
    text = text.strip()
    if len(text) < 16 or not text[:4].isdigit():
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


_CLID = re.compile(r'^\s*"?(?P<name>.*?)"?\s*<(?P<number>[^<>]*)>\s*$', re.DOTALL)


def caller_name(clid: str, number: str) -> str | None:
    """The name in an Asterisk caller id (``"张三, 销售" <13812345678>`` → ``张三, 销售``).

    ``None`` when there is no name, or when the name is only the number again (what a PBX
    writes when the network gave no name)."""
    match = _CLID.match(clid)
    if match is None:
        name = clid.strip()
        if "<" in name or ">" in name:
            return None
    else:
        name = match["name"].strip()
    name = name.replace('\\"', '"').strip()
    if not name or name == number.strip() or name == (match["number"].strip() if match else ""):
        return None
    return name


def clid_number(clid: str) -> str:
    """The number in ``"Name" <number>``, or empty when the caller id names none."""
    match = _CLID.match(clid)
    return match["number"].strip() if match else ""


_HEX_TAIL = re.compile(r"-[0-9a-fA-F]{4,}$")


def channel_endpoint(channel: str) -> tuple[str | None, bool]:
    """The endpoint a channel name points at, and whether that name is a direct one.

    ``SIP/301-00000004``, ``PJSIP/301-0000000a`` and ``IAX2/301-7351`` → ``301`` (direct);
    ``Local/301@from-internal-00000001;1`` → ``301`` through a Local channel (indirect: the leg
    behind it names the phone that really answered); FreeSWITCH's ``sofia/internal/sip:1002@10.0.0.5``
    and ``user/1002@example.com`` → ``1002`` (direct)."""
    channel = channel.strip()
    if "/" not in channel:
        return None, False
    tech, _, rest = channel.partition("/")
    tech = tech.lower()
    if tech == "local":
        endpoint = rest.split("@", 1)[0].split(";", 1)[0]
        return endpoint or None, False
    if tech in {"sofia", "user", "loopback", "verto.rtc", "freetdm"}:
        last = rest.rsplit("/", 1)[-1]
        for scheme in ("sip:", "sips:"):
            if last.startswith(scheme):
                last = last[len(scheme) :]
        endpoint = last.split("@", 1)[0]
        return endpoint or None, True
    rest = rest.split(";", 1)[0]
    endpoint = _HEX_TAIL.sub("", rest).split("@", 1)[0]
    return endpoint or None, True


_RECORDING_SUFFIXES = (".wav", ".mp3", ".gsm", ".ogg", ".opus", ".wav49", ".m4a", ".flac")


def recording(value: str) -> str | None:
    """A userfield or variable holding a recording: a path or URL, or a sound file's name. Anything
    else (an account code, a note the dialplan put there) is not a recording."""
    value = value.strip()
    if not value:
        return None
    lower = value.lower()
    if lower.startswith(("http://", "https://", "/", "file://", "s3://")) or lower.endswith(
        _RECORDING_SUFFIXES
    ):
        return value
    return None


def queue_name(data: str) -> str | None:
    """The queue in an application's arguments (Asterisk ``Queue(support,t,,,300)``; ``|`` before
    1.6) or a FreeSWITCH ``cc_queue`` (``support@default``)."""
    name = re.split(r"[,|]", data, maxsplit=1)[0].split("@", 1)[0].strip()
    return name or None
