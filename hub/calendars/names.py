"""Calendar names: short lowercase slugs, because they appear in commands, policies and URLs.

The same rule is a CHECK constraint on ``calendars.name`` and ``organizations.calendar``.
"""

from __future__ import annotations

import re

from hub.errors import InvalidInput

DEFAULT = "cn"
NAME_REGEX = "^[a-z0-9][a-z0-9_-]{0,63}$"
_NAME = re.compile(NAME_REGEX)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            detail=f"{name!r} is not a calendar name (lowercase letters, digits, - and _, at most 64)"
        )
    return name
