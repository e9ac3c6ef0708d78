"""Checks for the fields that describe a person or a place: names, locales, time zones, capacity.

Pure functions, shared by user creation, the admin's edits and a user's own profile changes, so a
value the API refuses cannot sneak in through the CLI either.
"""

from __future__ import annotations

import zoneinfo

from hub.errors import InvalidInput
from hub.i18n import SUPPORTED_LOCALES

MAX_CAPACITY = 1000
MAX_ZONE_NAME = 64  # users.time_zone is VARCHAR(64)


def name(value: str, *, field: str = "name", max_length: int = 200) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > max_length:
        raise InvalidInput(detail=f"{field} must have 1 to {max_length} characters")
    return cleaned


def locale(value: str) -> str:
    if value not in SUPPORTED_LOCALES:
        raise InvalidInput(detail=f"locale must be one of {', '.join(SUPPORTED_LOCALES)}")
    return value


def time_zone(value: str) -> str:
    """An IANA zone name (Asia/Shanghai); the viewer's times are shown in it."""
    try:
        if len(value) > MAX_ZONE_NAME:
            raise ValueError(value)
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(detail=f"unknown time zone: {value!r}") from None
    return value


def capacity(value: int) -> int:
    if not 0 <= value <= MAX_CAPACITY:
        raise InvalidInput(detail=f"capacity must be between 0 (no limit) and {MAX_CAPACITY}")
    return value
