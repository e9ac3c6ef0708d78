"""The SLA words a page shows agree with the Breached view about which tickets are late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.models import TicketSla
from hub.sla.targets import ClockStatus
from web.pages.sla_summary import summarise

NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


def _row(**fields: object) -> TicketSla:
    return TicketSla(policy_name="default-email", calendar="cn", breached=False, **fields)


def test_a_running_target_past_its_due_time_is_late_before_the_sweep_says_so() -> None:
    summary = summarise(_row(first_response_state=ClockStatus.ACTIVE, first_response_due_at=NOW), NOW)
    assert summary is not None and summary.breached and summary.next_due_at is None


def test_a_cycle_breached_earlier_stays_breached_while_a_new_wait_runs() -> None:
    row = _row(next_response_state=ClockStatus.ACTIVE, next_response_due_at=NOW + timedelta(hours=1))
    assert not summarise(row, NOW).breached  # type: ignore[union-attr]
    row.breached = True  # an earlier next-response wait was answered late, in this cycle
    summary = summarise(row, NOW)
    assert summary is not None and summary.breached
    assert [line.state for line in summary.lines] == ["active"]


def test_clocks_never_computed_show_nothing() -> None:
    assert summarise(None, NOW) is None
