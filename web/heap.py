"""The server's cyclic garbage collector, kept out of the requests' way.

Reference counting frees nearly everything a request allocates; the cyclic collector only finds
cycles. At CPython's defaults it still ran every 700 allocations (several times a request: a page
of the inbox builds thousands of objects), and each full collection walked everything loaded at
start-up again (modules, table metadata, the routes, compiled statements): an in-process profile
of the inbox page found a quarter of its CPU in the collector and pauses of 100-350 ms every
hundred requests or so, which are what a page's p95 and max show. ``hub serve`` settles its heap
once it is ready: the start-up objects are frozen (never walked again) and young collections run
every 10,000 allocations, as ``hub ingest email`` does while importing.
"""

from __future__ import annotations

import gc

#: Allocations between two young collections (CPython's default: 700).
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Freeze what start-up made and collect less often, for the rest of the process's life."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
