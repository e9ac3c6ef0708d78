"""What the ticket page needs to show a call message (``meta["call"]``): its times, its lengths and
whether its recording can be played in the page."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit


def when(value: str | None) -> datetime | None:
    """A call's stored ISO time as a datetime the page's clock shows in the viewer's zone."""
    return datetime.fromisoformat(value) if value else None


def seconds(value: int | None) -> str:
    """``100`` → ``1:40``, ``3725`` → ``1:02:05``: how a call's wait and talk time read."""
    total = int(value or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def playable(url: str | None) -> bool:
    """An http(s) recording plays in an ``<audio>`` element (the page's policy allows such media);
    anything else (a path on the PBX, ``ftp:``) is shown as a link to copy."""
    return bool(url) and urlsplit(str(url)).scheme in ("http", "https")
