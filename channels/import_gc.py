"""The cyclic garbage collector's settings while a bulk import runs (``hub ingest email|phone``).

A batch allocates hundreds of thousands of short-lived objects (parsed mails, call records, row
dicts, events) that reference counting frees; at CPython's default threshold the collector still
ran every 700 allocations, and its older generations walked everything loaded before the import
(modules, table metadata, the file's records) again and again: a fifth of a call import's CPU.
Frozen, that heap is skipped; a higher threshold collects less often.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Allocations between two young collections while importing (CPython's default: 700).
IMPORT_GC_THRESHOLD = 10_000


@contextlib.contextmanager
def collector_for_bulk() -> Iterator[None]:
    """Fewer, cheaper collections for the block; the process's settings back afterwards."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(IMPORT_GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def worker_started() -> None:
    """A worker process of an import inherits its parent's heap: out of its collector's way too."""
    gc.freeze()
    gc.set_threshold(IMPORT_GC_THRESHOLD, *gc.get_threshold()[1:])
