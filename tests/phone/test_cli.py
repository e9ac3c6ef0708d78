"""``hub channel add phone``, ``hub phone extension`` and ``hub ingest phone``, run in-process as an
operator types them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.core import Hub
from hub.domain import Direction, Role
from hub.models import Contact, Message, PlaybookSuggestionRow, RawInbound, Ticket, TicketEvent, TicketSla
from hub.sla.targets import ClockStatus
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_add_a_line_and_map_its_extensions(hub: Hub, invoke_cli) -> None:
    await factories.user(hub, Role.AGENT, email="agent1@demo.test")
    added = await invoke_cli(
        "channel", "add", "phone", "--name", "客服热线", "--number", "4008001234", "--region", "CN", "--json"
    )
    assert added.code == 0, added.err
    created = json.loads(added.out.strip().splitlines()[-1])
    assert created["token"].startswith("hub_ch_") and created["webhook_url"].endswith(
        f"/channels/phone/{created['id']}/calls"
    )
    line = created["id"]

    mapped = await invoke_cli("phone", "extension", line, "301", "Agent1@demo.test", "--json")
    assert mapped.code == 0, mapped.err
    assert [(m["extension"], m["email"]) for m in json.loads(mapped.out)] == [("301", "agent1@demo.test")]
    listed = await invoke_cli("phone", "extension", line)
    assert "301" in listed.out and "agent1@demo.test" in listed.out

    unknown = await invoke_cli("phone", "extension", line, "302", "nobody@demo.test")
    assert unknown.code == 1 and "not found" in unknown.err.lower()
    no_user = await invoke_cli("phone", "extension", line, "302")
    assert no_user.code == 2 and "--remove" in no_user.err

    removed = await invoke_cli("phone", "extension", line, "301", "--remove", "--json")
    assert removed.code == 0 and json.loads(removed.out) == []
    again = await invoke_cli("phone", "extension", line, "301", "--remove")
    assert again.code == 1


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "phone"


async def _counts(hub: Hub) -> tuple[int, ...]:
    return tuple([await factories.count(hub, model) for model in (Ticket, Message, TicketEvent, RawInbound)])


async def test_import_a_pbx_log_twice(hub: Hub, invoke_cli) -> None:
    """An Asterisk Master.csv (21 columns): a missed call with a quoted name holding a comma and
    Chinese, its callback from extension 301, a queue call of two legs, a call between desks, a
    missed call on National Day and a row cut short. Imported again, nothing changes."""
    await factories.user(hub, Role.AGENT, email="agent1@demo.test")
    added = await invoke_cli("channel", "add", "phone", "--name", "热线", "--number", "4008001234", "--json")
    line = json.loads(added.out.strip().splitlines()[-1])["id"]
    assert (await invoke_cli("phone", "extension", line, "301", "agent1@demo.test")).code == 0

    first = await invoke_cli("ingest", "phone", str(FIXTURES / "Master.csv"), "--channel", line, "--json")
    assert first.code == 1, first.err  # one row was rejected: said, and the rest went in
    summary = json.loads(first.out.strip().splitlines()[-1])
    problems = summary.pop("problems")
    assert summary == {
        "files": 1, "rows": 7, "calls": 5, "created": 3, "threaded": 1, "duplicate": 0, "internal": 1, "rejected": 1,
    }  # fmt: skip
    assert problems == [
        {
            "file": str(FIXTURES / "Master.csv"),
            "line": 7,
            "reason": "2 columns where Asterisk writes 16 to 21",
        }
    ]
    before = await _counts(hub)

    async with hub.uow() as uow:
        calls = {m.external_id: m for m in await uow.session.scalars(sa.select(Message))}
        missed, callback = calls["1772416800.1"], calls["1772416920.2"]
        clocks = await uow.session.get(TicketSla, missed.ticket_id)
        contact_names = set(await uow.session.scalars(sa.select(Contact.name)))
    assert missed.ticket_id == callback.ticket_id and missed.meta["call"]["callback"]
    assert callback.direction is Direction.OUTBOUND and callback.meta["call"]["agent"]["extension"] == "301"
    assert clocks is not None and clocks.first_response_state is ClockStatus.MET  # at the calls' own times
    assert clocks.first_response_at == datetime(2026, 3, 2, 2, 2, tzinfo=UTC)
    assert "王小明, 采购部" in contact_names
    queue = calls["1772420400.4"].meta["call"]
    assert queue["legs"] == 2 and queue["wait_seconds"] == 20 and queue["agent"]["extension"] == "301"
    # The batches' after-commit work (run beside the next batch) was done before the command ended.
    async with hub.uow() as uow:
        suggested = set(await uow.session.scalars(sa.select(PlaybookSuggestionRow.ticket_id)))
    assert missed.ticket_id in suggested and calls["1772420400.4"].ticket_id in suggested

    again = await invoke_cli("ingest", "phone", str(FIXTURES / "Master.csv"), "--channel", line, "--json")
    summary = json.loads(again.out.strip().splitlines()[-1])
    assert (summary["created"], summary["threaded"], summary["duplicate"]) == (0, 0, 5)
    assert await _counts(hub) == before

    wrong = await invoke_cli(
        "ingest", "phone", str(FIXTURES / "Master.csv"), "--channel", line, "--timezone", "Mars/Base"
    )
    assert wrong.code == 2 and "--timezone" in wrong.err
