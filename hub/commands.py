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


#: Some character that is not whitespace (as ``str.split`` sees whitespace), and no NUL anywhere:
#: what the use cases accept once they have stripped a name or a reason. The same expression in
#: the API schema (ECMA-262) and at decoding (Python's ``re``), so a client can check it up front.
#: One character that is neither whitespace (as ``str.split`` sees it) nor NUL.
NON_SPACE = (
    "[^\\u0000\\t-\\r\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
WORDS = f"^[^\\u0000]*{NON_SPACE}[^\\u0000]*$"
#: An e-mail address as :func:`hub.accounts.accounts.normalise_email` takes it.
EMAIL = "^[^\\u0000]*@[^\\u0000]*$"


def fits(column: Any, *, words: bool = False) -> msgspec.Meta:
    """A text field's limit taken from the ``varchar(N)`` column it is stored in.

    Used as ``Annotated[str, fits(Team.name)]``: a longer value is refused while decoding (a 422
    saying so, and the API schema shows the ``maxLength``) instead of failing at the database.
    ``words``: the value must also say something (:data:`WORDS`), as names must.
    """
    length = column.type.length
    if not isinstance(length, int):
        raise TypeError(f"{column} has no length to fit")
    if words:
        return msgspec.Meta(min_length=1, max_length=length, pattern=WORDS)
    return msgspec.Meta(max_length=length)


def says_something(max_length: int) -> msgspec.Meta:
    """A reason, a note, a requirement: up to ``max_length`` characters, not only whitespace."""
    return msgspec.Meta(min_length=1, max_length=max_length, pattern=WORDS)
