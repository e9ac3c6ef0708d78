"""The plain criteria of a list filter: a field the caller set narrows the list to rows equal to it,
a field left empty matches any row. The tickets and requirements lists share it so both read their
filters the same way; criteria with their own rules ("me", a search) stay with each list."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute

from hub.scope import Row


def equal_where_given(
    query: sa.Select[*Row], *criteria: tuple[QueryableAttribute[Any], object]
) -> sa.Select[*Row]:
    for column, value in criteria:
        if value:
            query = query.where(column == value)
    return query
