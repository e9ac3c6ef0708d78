"""The base of the use-case inputs that callers outside ``hub`` build; the API decodes requests into them.

A command is immutable, and decoding one refuses a field it does not know: a misspelt field in a
request must be an error, not an edit that silently does nothing. Because the API uses these types
as its request bodies, a field added to a command is one edit, and the API schema follows.
"""

from __future__ import annotations

from typing import Any

import msgspec


class Command(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Subclass it; ``msgspec.UNSET`` marks "leave alone" in the change commands."""


def fits(column: Any) -> msgspec.Meta:
    """A text field's limit taken from the ``varchar(N)`` column it is stored in.

    Used as ``Annotated[str, fits(Team.name)]``: a longer value is refused while decoding (a 422
    saying so, and the API schema shows the ``maxLength``) instead of failing at the database.
    """
    length = column.type.length
    if not isinstance(length, int):
        raise TypeError(f"{column} has no length to fit")
    return msgspec.Meta(max_length=length)
