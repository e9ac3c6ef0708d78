"""Playbook adherence: of the required steps that fell due, how many were done on time, per
playbook and per agent, as a supervisor reads it (``hub report playbooks``)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hub.actors import CLI
from hub.domain import ChannelKind, Role
from hub.errors import Forbidden
from hub.playbooks import adherence, runs
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {"order_no": "SO-1", "category": "product_quality", "severity": "yellow", "expectation": "换货"}


def _sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def test_each_required_step_counts_once_it_falls_due(clocked_hub, clock) -> None:
    """Wed 2026-03-04, a working day. The complaint's ``acknowledge`` is due 3bm after the start,
    ``collect`` 1bh after ``acknowledge`` was done or skipped."""
    hub = clocked_hub
    clock.at = _sh("2026-03-04T10:00")
    box = await factories.channel(hub, ChannelKind.EMAIL)
    wang, li = await factories.user(hub, Role.AGENT), await factories.user(hub, Role.AGENT)
    late_one, forgotten, prompt = [
        (await factories.inbound(hub, box.id, sender=f"c{n}@client.example", text="我要投诉")).ticket_id
        for n in range(3)
    ]
    await runs.start(hub, factories.actor(wang), late_one, "complaint")
    await runs.start(hub, factories.actor(li), forgotten, "complaint")
    await runs.start(hub, factories.actor(li), prompt, "complaint")
    clock.at = _sh("2026-03-04T10:01")
    await runs.skip(hub, factories.actor(wang), late_one, "acknowledge", "客户来电时已口头致歉")
    await runs.skip(hub, factories.actor(li), prompt, "acknowledge", "客户来电时已口头致歉")
    clock.at = _sh("2026-03-04T10:30")
    await runs.complete(hub, factories.actor(li), prompt, "collect", runs.StepInput(fields=FORM))
    clock.at = _sh("2026-03-04T11:30")
    await runs.complete(hub, factories.actor(wang), late_one, "collect", runs.StepInput(fields=FORM))

    async with hub.uow() as uow:
        found = await adherence.adherence(
            hub, uow.session, CLI, _sh("2026-03-01T00:00"), _sh("2026-04-01T00:00"), clock.at
        )
        with pytest.raises(Forbidden):
            await adherence.adherence(
                hub,
                uow.session,
                factories.actor(wang),
                _sh("2026-03-01T00:00"),
                _sh("2026-04-01T00:00"),
                clock.at,
            )
    # on time: li's collect (10:30, due 11:01); late: wang's collect (11:30, due 11:01); skipped:
    # both acknowledgements; overdue: the forgotten ticket's acknowledgement (due 10:03), on nobody.
    # Not yet due (investigate, propose) and reached by nobody (collect after an open step) count nowhere.
    assert found.total.as_dict() == {
        "on_time": 1,
        "late": 1,
        "skipped": 2,
        "overdue": 1,
        "counted": 5,
        "rate": 0.2,
    }
    assert set(found.by_playbook) == {"complaint"}
    assert found.by_agent[wang.id].as_dict()["late"] == 1 and found.by_agent[wang.id].skipped == 1
    assert found.by_agent[li.id].on_time == 1 and found.by_agent[li.id].rate == 0.5
    assert found.by_agent[None].overdue == 1
    async with hub.uow() as uow:
        before = await adherence.adherence(
            hub, uow.session, CLI, _sh("2026-02-01T00:00"), _sh("2026-03-01T00:00"), clock.at
        )
    assert before.total.counted == 0 and before.total.rate is None, "runs started in another period"


async def test_the_command_prints_the_table_and_json(invoke_cli, hub) -> None:
    box = await factories.channel(hub, ChannelKind.EMAIL)
    agent = await factories.user(hub, Role.AGENT)
    ticket_id = (await factories.inbound(hub, box.id, sender="z@client.example", text="投诉")).ticket_id
    await runs.start(hub, factories.actor(agent), ticket_id, "complaint")
    await runs.skip(hub, factories.actor(agent), ticket_id, "acknowledge", "已电话致歉")
    day = hub.clock.now().astimezone(SHANGHAI).date().isoformat()
    shown = await invoke_cli("report", "playbooks", "--from", day, "--to", day, "--json")
    assert shown.code == 0, shown.err
    found = json.loads(shown.out)
    assert found["by_playbook"]["complaint"]["skipped"] == 1
    assert [e["email"] for e in found["by_agent"] if e["skipped"]] == [agent.email]
    table = await invoke_cli("report", "playbooks", "--from", day, "--to", day)
    assert table.code == 0 and f"agent\t{agent.email}\t0\t0\t1\t0\t0%" in table.out
