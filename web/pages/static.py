"""The pages' CSS, JavaScript and icons, served from web/static with cache-busting URLs.

Each URL carries a short hash of the file (``/static/hub.css?v=1a2b3c4d``), computed once per
process, so browsers may keep the files for a long time and still pick up a new release at once.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
PREFIX = "/static"


@functools.cache
def _version(name: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    return f"{PREFIX}/{name}?v={_version(name)}"


def static_router() -> Router:
    """Public: the login page needs its stylesheet before anyone is logged in."""
    return create_static_files_router(
        path=PREFIX,
        directories=[STATIC_DIR],
        opt={"exclude_from_auth": True},
        cache_control=CacheControlHeader(max_age=7 * 24 * 3600, private=True),
        include_in_schema=False,
    )
