"""Set-based writes (:mod:`hub.bulk`): what goes in as arrays comes back as the rows Core would write."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from hub import bulk
from hub.core import Hub

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


_META = sa.MetaData()
_SAMPLES = sa.Table(
    "bulk_samples",
    _META,
    sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.String(50)),
    sa.Column("colour", sa.Enum(Colour, native_enum=False, values_callable=lambda m: [c.value for c in m])),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("done", sa.Boolean),
    sa.Column("count", sa.Integer),
    sa.Column("total", sa.BigInteger),
    sa.Column("data", pg.JSONB),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("order", sa.Integer),  # a reserved word: names are quoted
)
_COLUMNS = ["id", "name", "colour", "at", "done", "count", "total", "data", "blob", "order"]


async def test_rows_written_from_arrays_read_back_as_given(hub: Hub) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    rows = [
        {
            "id": first,
            "name": "订单 A-1",
            "colour": Colour.RED,
            "at": at,
            "done": True,
            "count": 3,
            "total": 2**40,
            "data": {"k": ["v", 1, None], "中": "文"},
            "blob": b"\x00\xff raw",
            "order": 1,
        },
        {
            "id": second,
            "name": None,
            "colour": None,
            "at": None,
            "done": None,
            "count": None,
            "total": None,
            "data": None,  # JSON null, as Core sends None for a JSONB column
            "blob": None,
            "order": 2,
        },
    ]
    async with hub.uow() as uow:
        connection = await uow.session.connection()
        await connection.run_sync(lambda sync: _META.create_all(sync))
        inserted = bulk.insert_rows(_SAMPLES, _COLUMNS, suffix="ON CONFLICT (id) DO NOTHING RETURNING id")
        assert set((await inserted.execute(connection, rows)).scalars()) == {first, second}
        again = await inserted.execute(connection, rows[:1])
        assert list(again.scalars()) == []  # the suffix applies: a conflict inserts nothing

        stored = {r.id: r for r in await connection.execute(sa.select(_SAMPLES))}
        assert stored[first]._asdict() == {**rows[0], "colour": "red"}
        assert stored[second].data is None
        json_null = await connection.execute(
            sa.select(sa.func.jsonb_typeof(_SAMPLES.c.data)).where(_SAMPLES.c.id == second)
        )
        assert json_null.scalar() == "null"

        update = bulk.update_rows(_SAMPLES, "id", ["name", "done"], fixed={"count": 't."count" + 1'})
        await update.execute(connection, [{"id": first, "name": "changed", "done": False}])
        changed = (await connection.execute(sa.select(_SAMPLES).where(_SAMPLES.c.id == first))).one()
        assert (changed.name, changed.done, changed.count) == ("changed", False, 4)
        untouched = (await connection.execute(sa.select(_SAMPLES).where(_SAMPLES.c.id == second))).one()
        assert untouched.count is None and untouched.name is None
        # never committed: the table goes with the rollback


def test_a_column_without_an_array_form_is_refused_when_the_statement_is_built() -> None:
    table = sa.Table("bulk_tags", sa.MetaData(), sa.Column("tags", pg.ARRAY(sa.Text)))
    with pytest.raises(TypeError, match=r"bulk_tags\.tags"):
        bulk.insert_rows(table, ["tags"])


def test_random_ids_are_distinct_version_4_uuids_across_refills() -> None:
    new_id = bulk.RandomIds(chunk=16)
    made = [new_id() for _ in range(100)]
    assert len(set(made)) == 100
    assert {u.version for u in made} == {4}
    assert {u.variant for u in made} == {uuid.RFC_4122}
    # As uuid4 would: equal, hashed and written like a standard UUID of the same value.
    standard = uuid.UUID(str(made[0]))
    assert made[0] == standard and hash(made[0]) == hash(standard) and {standard: 1}[made[0]] == 1


def test_random_tokens_are_distinct_hex_of_the_asked_length_across_refills() -> None:
    new_token = bulk.RandomTokens(12, chunk=16)
    made = [new_token() for _ in range(100)]
    assert len(set(made)) == 100
    assert all(len(t) == 24 and int(t, 16) >= 0 for t in made)


async def test_columns_alike_in_every_row_are_written_as_in_each_row(hub: Hub) -> None:
    """A column with one value in every row travels once, not as an array: the rows read back the
    same, a column equal at both ends and different in the middle is not taken for one, and
    an update sets a value shared by all its rows. A small batch keeps every column an array."""
    at = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    many = bulk.SHARED_FROM_ROWS
    ids = [uuid.uuid4() for _ in range(3 + many)]
    rows = [
        {
            "id": row_id,
            "name": "同一个",  # alike
            "colour": Colour.BLUE if n == 3 + many // 2 else Colour.RED,  # alike at both ends only
            "at": at,  # alike
            "done": None,  # NULL in every row
            "count": n,
            "total": None,
            "data": {"n": n},
            "blob": None,
            "order": 7,
        }
        for n, row_id in enumerate(ids)
    ]
    async with hub.uow() as uow:
        connection = await uow.session.connection()
        await connection.run_sync(lambda sync: _META.create_all(sync))
        inserted = bulk.insert_rows(_SAMPLES, _COLUMNS, suffix="RETURNING id")
        assert list((await inserted.execute(connection, rows[:3])).scalars()) == ids[:3]
        assert list(inserted.variants) == [frozenset()]  # three rows: arrays only
        assert list((await inserted.execute(connection, rows[3:])).scalars()) == ids[3:]
        assert frozenset({"name", "at", "done", "total", "blob", "order"}) in inserted.variants
        stored = {r.id: r._asdict() for r in await connection.execute(sa.select(_SAMPLES))}
        assert [stored[i] for i in ids] == [{**r, "colour": r["colour"].value} for r in rows]

        update = bulk.update_rows(_SAMPLES, "id", ["name", "count"])
        await update.execute(connection, [{"id": i, "name": "改", "count": 9} for i in ids[:many]])
        after = {r.id: (r.name, r.count) for r in await connection.execute(sa.select(_SAMPLES))}
        assert [after[i] for i in ids] == [("改", 9)] * many + [("同一个", n) for n in range(many, many + 3)]
