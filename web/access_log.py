"""The access log keeps which route was called and how it went, never what was in the query.

Query strings carry what people typed (a contact search: a name, a phone number), the ids of a
WeChat follower, cursors; the log is read by more people than the data is meant for and kept
longer. Parameter names stay, for debugging; their values become ``***``.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

ACCESS_LOGGER = "uvicorn.access"
#: uvicorn's access record: (client, method, path with query, HTTP version, status).
_PATH_ARG = 2


def mask_query(path: str) -> str:
    base, question, query = path.partition("?")
    if not question:
        return path
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    return f"{base}?{'&'.join(f'{name}=***' for name in names)}" if names else base


class MaskQueryValues(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG and isinstance(args[_PATH_ARG], str):
            record.args = (*args[:_PATH_ARG], mask_query(args[_PATH_ARG]), *args[_PATH_ARG + 1 :])
        return True


def install() -> None:
    """Once per process, whoever builds the app first (``hub serve``, a test's live server)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, MaskQueryValues) for existing in logger.filters):
        logger.addFilter(MaskQueryValues())
