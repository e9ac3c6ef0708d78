"""CSV files into the ERP sync: the same upserts as the API, a result per row with its line number.

Excel in China saves CSV as GB18030 (GBK) unless told otherwise, and as UTF-8 with a byte-order
mark when told: both are read, as is plain UTF-8. A file is one entity; each row becomes the body
the ``PUT`` takes (an order's lines are its rows that share an ``external_ref``). ``--mode``:
``insert`` refuses a row whose record exists, ``update`` one whose record does not, ``upsert``
does either. A dry run goes through every row in a transaction that is then rolled back, so what
it reports is what a real run would do. Every run, dry or not, leaves one audit line.

Each entity's columns are :data:`READERS`' business (a quality case is one row: ``partner_ref`` or
``partner_id``, ``number``, ``title``, ``description``, ``severity``, ``status``, ``item``, ``lot``).
"""

from __future__ import annotations

import codecs
import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

from hub.actors import Actor
from hub.core import Hub
from hub.errors import Conflict, HubError, InvalidInput
from hub.events.admin import SettingsChanged
from hub.i18n import translate
from hub.models import SyncLink
from hub.portal import sync
from hub.portal.sync_batch import STATUS

Mode = Literal["insert", "update", "upsert"]
#: A row without ``source_updated_at``: the file is as old as can be, so the same file again is
#: unchanged, and a newer push of the API is never overwritten by it (it answers stale instead).
EPOCH = "1970-01-01T00:00:00Z"
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Record:
    """One record of the file: the rows it was read from, its key and its body."""

    lines: list[int]
    source: str
    external_ref: str
    data: dict[str, Any]


@dataclass
class ImportReport:
    entity: str
    mode: Mode
    dry_run: bool
    encoding: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in self.rows:
            key = row.get("result") or "failed"
            found[key] = found.get(key, 0) + 1
        return found

    @property
    def failed(self) -> int:
        return sum(1 for row in self.rows if "result" not in row)


def decode(raw: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: UTF-8 (with or without BOM), else GB18030."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise InvalidInput(detail="the file is neither UTF-8 nor GB18030 text") from None


def _cell(row: dict[str, str], name: str) -> str:
    return (row.get(name) or "").strip()


def _optional(row: dict[str, str], name: str) -> str | None:
    return _cell(row, name) or None


def _partners(rows: list[tuple[int, dict[str, str]]], source: str) -> list[Record]:
    found = []
    for line, row in rows:
        data: dict[str, Any] = {
            "name": _cell(row, "name"),
            "source_updated_at": _cell(row, "source_updated_at") or EPOCH,
        }
        if domains := _cell(row, "domains"):
            data["domains"] = [d for d in domains.replace(",", ";").split(";") if d.strip()]
        if tier := _cell(row, "tier"):
            data["tier"] = tier
        found.append(Record([line], _cell(row, "source") or source, _cell(row, "external_ref"), data))
    return found


def _orders(rows: list[tuple[int, dict[str, str]]], source: str) -> list[Record]:
    """One record per ``external_ref``; its rows are its lines, the first row gives the order."""
    grouped: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = {}
    for line, row in rows:
        grouped.setdefault((_cell(row, "source") or source, _cell(row, "external_ref")), []).append(
            (line, row)
        )
    found = []
    for (record_source, ref), members in grouped.items():
        first = members[0][1]
        partner: dict[str, str] = (
            {"organization_id": _cell(first, "partner_id")}
            if _cell(first, "partner_id")
            else {"external_ref": _cell(first, "partner_ref")}
        )
        data: dict[str, Any] = {
            "partner": partner,
            "number": _cell(first, "number"),
            "status": _cell(first, "status") or "open",
            "source_updated_at": _cell(first, "source_updated_at") or EPOCH,
            "lines": [
                {
                    "line": _cell(row, "line"),
                    "item": _cell(row, "item"),
                    "description": _cell(row, "description"),
                    "quantity": _cell(row, "quantity"),
                    "unit": _cell(row, "unit"),
                    "unit_price": _optional(row, "unit_price"),
                    "requested_date": _cell(row, "requested_date"),
                }
                for _, row in members
            ],
        }
        if currency := _cell(first, "currency"):
            data["currency"] = currency
        found.append(Record([line for line, _ in members], record_source, ref, data))
    return found


def _deliveries(rows: list[tuple[int, dict[str, str]]], source: str) -> list[Record]:
    found = []
    for line, row in rows:
        data: dict[str, Any] = {
            "order": {"external_ref": _cell(row, "order_ref")},
            "line": _cell(row, "line"),
            "due_date": _cell(row, "due_date"),
            "quantity": _cell(row, "quantity"),
            "received_quantity": _cell(row, "received_quantity") or "0",
            "status": _cell(row, "status") or "open",
            "source_updated_at": _cell(row, "source_updated_at") or EPOCH,
        }
        found.append(Record([line], _cell(row, "source") or source, _cell(row, "external_ref"), data))
    return found


def _quality_cases(rows: list[tuple[int, dict[str, str]]], source: str) -> list[Record]:
    found = []
    for line, row in rows:
        partner: dict[str, str] = (
            {"organization_id": _cell(row, "partner_id")}
            if _cell(row, "partner_id")
            else {"external_ref": _cell(row, "partner_ref")}
        )
        data: dict[str, Any] = {
            "partner": partner,
            "number": _cell(row, "number"),
            "title": _cell(row, "title"),
            "description": _cell(row, "description"),
            "severity": _cell(row, "severity") or "major",
            "status": _cell(row, "status") or "open",
            "item": _optional(row, "item"),
            "lot": _optional(row, "lot"),
            "source_updated_at": _cell(row, "source_updated_at") or EPOCH,
        }
        found.append(Record([line], _cell(row, "source") or source, _cell(row, "external_ref"), data))
    return found


Reader = Callable[[list[tuple[int, dict[str, str]]], str], list[Record]]
#: Each entity's columns -> its records.
READERS: dict[str, Reader] = {
    "partners": _partners,
    "orders": _orders,
    "deliveries": _deliveries,
    "quality_cases": _quality_cases,
}


def read(text: str, entity: str, source: str) -> list[Record]:
    reader = READERS.get(entity)
    if reader is None:
        raise InvalidInput(detail=f"no CSV import for {entity!r}; one of {', '.join(sorted(READERS))}")
    table = csv.DictReader(io.StringIO(text, newline=""))
    if not table.fieldnames or "external_ref" not in [f.strip() for f in table.fieldnames]:
        raise InvalidInput(detail="the first row must name the columns, external_ref among them")
    table.fieldnames = [f.strip() for f in table.fieldnames]
    rows = []
    for row in table:
        # Line 1 is the header; a quoted cell with line breaks spans lines, so ask the reader.
        rows.append(
            (table.line_num, {k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)})
        )
        if len(rows) > MAX_ROWS:
            raise InvalidInput(detail=f"more than {MAX_ROWS} rows; split the file")
    return reader(rows, source)


class _DryRun(Exception):
    """Rolls the rows' savepoint back once every row has been tried."""


def _refused(exc: HubError) -> dict[str, Any]:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    return {"status": status, "code": exc.code, "detail": translate(exc.code, "en", **exc.params)}


async def run(
    hub: Hub,
    actor: Actor,
    *,
    entity: str,
    raw: bytes,
    source: str = "csv",
    mode: Mode = "upsert",
    dry_run: bool = False,
    file_name: str = "",
) -> ImportReport:
    sync.require_sync(actor)
    target = sync.entity_named(entity)
    text, encoding = decode(raw)
    records = read(text, entity, source)
    report = ImportReport(entity=entity, mode=mode, dry_run=dry_run, encoding=encoding)
    async with hub.uow() as uow:
        try:
            async with uow.savepoint():
                for record in records:
                    row: dict[str, Any] = {"line": record.lines[0], "external_ref": record.external_ref}
                    if len(record.lines) > 1:
                        row["lines"] = record.lines
                    try:
                        async with uow.savepoint():
                            if mode == "insert" and await _exists(uow.session, entity, record):
                                raise Conflict(detail=f"{entity} {record.external_ref} exists (mode insert)")
                            body = sync.decode(target, record.data)
                            outcome = await sync.upsert(
                                uow,
                                actor,
                                target,
                                record.source,
                                record.external_ref,
                                body,
                                update_only=mode == "update",
                            )
                            if mode == "insert" and outcome.result != "created":
                                raise Conflict(
                                    detail=f"{entity} {record.external_ref} matches one that exists"
                                )
                        row.update(id=str(outcome.id), result=outcome.result)
                    except HubError as exc:
                        row.update(_refused(exc))
                    report.rows.append(row)
                if dry_run:
                    raise _DryRun()
        except _DryRun:
            pass
        uow.emit(
            SettingsChanged.of(
                actor,
                "sync.imported",
                f"{entity}:{uuid.uuid4()}",
                subject_type="sync",
                at=hub.clock.now(),
                after={
                    "entity": entity,
                    "file": file_name[:200],
                    "mode": mode,
                    "dry_run": dry_run,
                    "encoding": encoding,
                    "counts": report.counts,
                },
            )
        )
        await uow.commit()
    return report


async def _exists(session: Any, entity: str, record: Record) -> bool:
    found = await session.scalar(
        sa.select(SyncLink.id).where(
            SyncLink.entity == entity,
            SyncLink.source == record.source,
            SyncLink.external_ref == record.external_ref,
        )
    )
    return found is not None
