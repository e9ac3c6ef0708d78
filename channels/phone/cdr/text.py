"""Bytes to rows: the encoding a PBX export arrives in, and CSV records with the line they start on.

Chinese Windows tools save CSV in GB18030 (Excel's "CSV" in a zh-CN locale), Linux PBXes write
UTF-8, and spreadsheets add a BOM; nobody says which, so the bytes decide. UTF-8 is tried first
because it almost never decodes by accident; GB18030 next, which covers GBK and GB2312.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

_BOMS = (b"\xef\xbb\xbf", b"\x84\x31\x95\x33")  # UTF-8's, and GB18030's encoding of U+FEFF


def decode(data: bytes) -> str:
    """The text of a file, whichever of UTF-8 or GB18030 it is in.

    Bytes that are neither become U+FFFD rather than an error: one damaged name must not cost the
    rest of the log, and the row it is in is still read (or reported) on its own."""
    for bom in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace")


def records(
    text: str, *, skip_initial_space: bool = False, delimiter: str = ","
) -> Iterator[tuple[int, list[str] | str]]:
    """Each non-blank CSV record with the physical line it starts on, or the reason it could not be read.

    The line is counted by the reader itself, so a quoted field holding a newline moves the next
    record's line on by the lines it spans and later problems still point at the right place."""
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        skipinitialspace=skip_initial_space,
        strict=False,
    )
    before = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if reader.line_num == before:  # the reader made no progress: nothing more can be read
                yield before + 1, f"unreadable CSV: {error}"
                return
            yield before + 1, f"unreadable CSV: {error}"
            before = reader.line_num
            continue
        start = before + 1
        before = reader.line_num
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        yield start, fields
