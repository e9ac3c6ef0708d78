"""The base of the use-case inputs that callers outside ``hub`` build; the API decodes requests into them.

A command is immutable, and decoding one refuses a field it does not know: a misspelt field in a
request must be an error, not an edit that silently does nothing. Because the API uses these types
as its request bodies, a field added to a command is one edit, and the API schema follows.
"""

from __future__ import annotations

import msgspec


class Command(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Subclass it; ``msgspec.UNSET`` marks "leave alone" in the change commands."""
