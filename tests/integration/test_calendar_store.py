"""Stored calendars: the migration matches the models, and overrides load, apply and are audited."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from hub.actors import CLI
from hub.calendars import service as calendars
from hub.calendars.arithmetic import add_business
from hub.calendars.model import DayKind
from hub.calendars.periods import parse_periods
from hub.calendars.service import CalendarNotFound
from hub.calendars.weekly import office_week
from hub.db import create_engine
from hub.errors import Conflict, InvalidInput
from hub.migrate import upgrade
from hub.models import AuditEvent, Base, BusinessCalendar, CalendarDay, Organization

pytestmark = pytest.mark.anyio


def _drift(connection: sa.Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_the_migrations_build_exactly_the_models(server_urls) -> None:
    engine = create_engine(server_urls.database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_drift) == []
    finally:
        await engine.dispose()


async def test_revision_0002_downgrades_and_upgrades_again(server_urls) -> None:
    scratch = f"hub_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_urls.database_url, pool_size=1)
    url = sa.make_url(server_urls.database_url).set(database=scratch).render_as_string(hide_password=False)
    try:
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sa.text(f'CREATE DATABASE "{scratch}"'))
        await upgrade(url)
        await _downgrade(url, "0001")
        engine = create_engine(url, pool_size=1)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        await engine.dispose()
        assert "calendars" not in tables and "organizations" in tables
        await upgrade(url)
    finally:
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        await admin.dispose()


async def _downgrade(url: str, revision: str) -> None:
    import asyncio

    from alembic import command

    from hub.migrate import alembic_config

    await asyncio.to_thread(command.downgrade, alembic_config(url), revision)


async def test_cn_works_with_no_rows(hub) -> None:
    cn = await calendars.load_calendar(hub, "cn")
    assert cn.business_day == timedelta(hours=8)
    assert cn.periods_on(date(2026, 2, 16)) == ()  # Spring Festival
    summaries = await calendars.list_calendars(hub)
    assert [(s.name, s.builtin, s.admin_days) for s in summaries] == [("cn", True, 0)]


async def test_an_override_applies_and_is_audited(hub) -> None:
    friday = date(2026, 3, 6)
    saved = await calendars.set_day(hub, CLI, "cn", friday, DayKind.HOLIDAY, note="company day")
    assert saved.kind is DayKind.HOLIDAY
    cn = await calendars.load_calendar(hub, "cn")
    start = datetime.fromisoformat("2026-03-05T17:00:00+08:00")
    assert add_business(cn, start, timedelta(hours=2)) == datetime.fromisoformat("2026-03-09T10:00:00+08:00")
    assert cn.special_days[friday].source == "admin"

    # Setting it again replaces the override; removing it restores the weekday.
    await calendars.set_day(
        hub, CLI, "cn", friday, DayKind.WORKDAY, periods=parse_periods("09:00-12:00"), note="half day"
    )
    cn = await calendars.load_calendar(hub, "cn")
    assert [str(p) for p in cn.periods_on(friday)] == ["09:00-12:00"]
    await calendars.remove_day(hub, CLI, "cn", friday)
    cn = await calendars.load_calendar(hub, "cn")
    assert friday not in cn.special_days and len(cn.periods_on(friday)) == 2

    async with hub.uow() as uow:
        events = list(await uow.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))
        stored = await uow.session.scalar(sa.select(BusinessCalendar).where(BusinessCalendar.name == "cn"))
    assert [e.action for e in events] == ["calendar.day_set", "calendar.day_set", "calendar.day_removed"]
    assert events[0].before is None and events[0].after["note"] == "company day"
    assert events[1].before["kind"] == "holiday" and events[1].after["periods"] == ["09:00-12:00"]
    assert events[2].before["kind"] == "workday" and events[2].after is None
    assert {e.subject_id for e in events} == {str(stored.id)} and stored.base == "cn"


async def test_an_override_makes_a_new_year_known(hub) -> None:
    cn = await calendars.load_calendar(hub, "cn")
    assert not cn.knows_year(2099)
    await calendars.set_day(hub, CLI, "cn", date(2099, 1, 1), DayKind.HOLIDAY, note="元旦")
    assert (await calendars.load_calendar(hub, "cn")).knows_year(2099)


async def test_own_calendars(hub) -> None:
    await calendars.create_calendar(
        hub, CLI, name="acme-ny", time_zone="America/New_York", week=office_week("09:00-17:00"), base=None
    )
    acme = await calendars.load_calendar(hub, "acme-ny")
    assert acme.zone.key == "America/New_York" and acme.known_years is None
    with pytest.raises(Conflict):
        await calendars.create_calendar(
            hub, CLI, name="acme-ny", time_zone="UTC", week=office_week("09:00-17:00"), base=None
        )
    with pytest.raises(Conflict, match="built in"):
        await calendars.create_calendar(
            hub, CLI, name="cn", time_zone="UTC", week=office_week("09:00-17:00"), base=None
        )
    with pytest.raises(InvalidInput, match="time zone"):
        await calendars.create_calendar(
            hub, CLI, name="x", time_zone="Nowhere", week=office_week("09:00-17:00"), base=None
        )
    names = [s.name for s in await calendars.list_calendars(hub)]
    assert names == ["acme-ny", "cn"]


async def test_unknown_names_and_missing_overrides(hub) -> None:
    with pytest.raises(CalendarNotFound) as caught:
        await calendars.load_calendar(hub, "nowhere")
    assert "nowhere" in str(caught.value) and "cn" in str(caught.value)
    with pytest.raises(CalendarNotFound):
        await calendars.set_day(hub, CLI, "nowhere", date(2026, 1, 5), DayKind.HOLIDAY)
    with pytest.raises(InvalidInput, match="no override"):
        await calendars.remove_day(hub, CLI, "cn", date(2026, 1, 5))
    with pytest.raises(InvalidInput, match="no working periods"):
        await calendars.set_day(
            hub, CLI, "cn", date(2026, 1, 5), DayKind.HOLIDAY, periods=parse_periods("09:00-10:00")
        )


async def test_the_database_checks_calendar_names(hub) -> None:
    async with hub.uow() as uow:
        uow.session.add(Organization(name="Bad", kind="client", calendar="Not A Name"))
        with pytest.raises(IntegrityError, match="ck_organizations_calendar_name"):
            await uow.session.flush()
    async with hub.uow() as uow:
        row = BusinessCalendar(name="ok", time_zone="UTC", weekly_periods={}, base=None)
        uow.session.add(row)
        await uow.session.flush()
        uow.session.add(
            CalendarDay(
                calendar_id=row.id, day=date(2026, 1, 1), kind=DayKind.HOLIDAY, periods=["09:00-10:00"]
            )
        )
        with pytest.raises(IntegrityError, match="holiday_has_no_periods"):
            await uow.session.flush()
