"""Mail on disk: ``.eml`` files, Maildir folders and mbox files, as (label, bytes) items.

Items are listed up front (cheap: names, and the offsets of an mbox's messages) so a progress bar
knows the total, and read one at a time, so a folder of 100k mails never sits in memory.
"""

from __future__ import annotations

import mailbox
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Item:
    #: What the operator sees in a problem report: the file, or ``file#n`` for an mbox's n-th mail.
    label: str
    read: Callable[[], bytes]


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def items(paths: list[Path]) -> list[Item]:
    found: list[Item] = []
    for path in paths:
        found.extend(_items(path))
    return found


def _items(path: Path) -> Iterator[Item]:
    if path.is_dir():
        if _is_maildir(path):
            for sub in ("new", "cur"):
                for file in sorted((path / sub).iterdir()):
                    if file.is_file() and not file.name.startswith("."):
                        yield _file(file)
            return
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") and not _is_maildir(child):
                continue
            if child.is_dir() and child.name in ("tmp",):
                continue
            yield from _items(child)
        return
    if _is_mbox(path):
        yield from _mbox(path)
        return
    yield _file(path)


def _file(path: Path) -> Item:
    return Item(str(path), path.read_bytes)


def _mbox(path: Path) -> Iterator[Item]:
    box = mailbox.mbox(path, create=False)
    keys = list(box.keys())

    def reader(key: str, last: bool) -> Callable[[], bytes]:
        def read() -> bytes:
            try:
                return box.get_bytes(key)
            finally:
                if last:
                    box.close()  # the file stays open between reads; the last read closes it

        return read

    if not keys:
        box.close()
    for number, key in enumerate(keys, 1):
        yield Item(f"{path}#{number}", reader(key, number == len(keys)))
