"""The cyclic garbage collector's settings for the hub's long runs: a server and a bulk import.

Reference counting frees nearly everything a request or an import batch allocates; the cyclic
collector only finds cycles. At CPython's defaults it still ran every 700 allocations (several
times a request: a page of the inbox builds thousands of objects; thousands of times a batch of
calls), and each full collection walked everything loaded before (modules, table metadata, the
routes, compiled statements, an import's records) again: an in-process profile of the inbox page
found a quarter of its CPU in the collector and pauses of 100-350 ms every hundred requests or
so, and a call import a fifth of its CPU. Frozen, that heap is never walked again; young
collections every :data:`YOUNG_THRESHOLD` allocations run a fourteenth as often.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Allocations between two young collections (CPython's default: 700).
YOUNG_THRESHOLD = 10_000
#: The same during a bulk import, whose batches keep thousands of rows alive until they are
#: written: each young collection walked them again, and at 10,000 they cost an import of 100,000
#: calls 2.5 s of its 23 s of CPU (0.6 s at this threshold). No request waits on an import's
#: pauses, and its garbage cycles are few: the net count of objects grows slowly.
BULK_YOUNG_THRESHOLD = 100_000


def settle() -> None:
    """For the rest of the process's life (``hub serve`` once it is ready; an import's worker
    process, which inherits its parent's heap): what is there now frozen, fewer collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


@contextlib.contextmanager
def settled_for_bulk() -> Iterator[None]:
    """:func:`settle` for one bulk import inside a longer process, with young collections further
    apart (:data:`BULK_YOUNG_THRESHOLD`): its settings back afterwards."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(BULK_YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
