"""Choosing a ticket's SLA policy, the built-in defaults, and the alerts clocks owe."""

from __future__ import annotations

import pytest

from hub.calendars.durations import parse_duration
from hub.domain import ChannelKind, Priority, TicketEventKind, Tier
from hub.sla import defaults
from hub.sla.alerts import next_due, pending_alerts
from hub.sla.policy_choice import PolicyRule, SlaTargets, choose_policy
from tests.unit.sla_helpers import K, clocks, log, shown, targets

C, P = ChannelKind, Priority


def rule(name: str, **match: object) -> PolicyRule:
    return PolicyRule(name=name, targets=SlaTargets(first_response=parse_duration("1bh")), **match)  # type: ignore[arg-type]


def chosen(
    rules: list[PolicyRule], channel=C.EMAIL, priority=P.NORMAL, tier: Tier | None = None
) -> str | None:
    found = choose_policy(
        [*rules, *defaults.BUILTIN_POLICIES], channel_kind=channel, priority=priority, tier=tier
    )
    return found.name if found else None


@pytest.mark.parametrize(
    ("channel", "first"),
    [(C.WEBCHAT, "3bm"), (C.PHONE, "3bm"), (C.WECHAT, "3bm"), (C.EMAIL, "1bd"), (C.API, "1bd")],
)
def test_with_no_stored_policy_the_defaults_keep_the_company_promises(
    channel: ChannelKind, first: str
) -> None:
    found = choose_policy(defaults.BUILTIN_POLICIES, channel_kind=channel, priority=P.NORMAL, tier=None)
    assert found is not None and found.builtin
    assert str(found.targets.first_response) == first and str(found.targets.next_response) == first
    assert found.targets.resolution is None


def test_later_object_types_have_their_named_defaults() -> None:
    assert str(defaults.REQUIREMENT_FEEDBACK) == "3bd"
    assert str(defaults.INTERNAL_HANDOFF) == "2bh"


def test_the_most_specific_matching_policy_wins() -> None:
    rules = [
        rule("all"),
        rule("email", channel_kind=C.EMAIL),
        rule("core email", channel_kind=C.EMAIL, tier=Tier.CORE),
        rule("urgent core email", channel_kind=C.EMAIL, tier=Tier.CORE, priority=P.URGENT),
    ]
    assert chosen(rules) == "email"
    assert chosen(rules, tier=Tier.CORE) == "core email"
    assert chosen(rules, tier=Tier.CORE, priority=P.URGENT) == "urgent core email"
    assert chosen(rules, channel=C.PHONE) == "all", "a stored catch-all beats the built-in phone default"


def test_position_then_name_break_ties_between_equally_specific_policies() -> None:
    by_channel = rule("b by channel", channel_kind=C.EMAIL, position=1)
    by_tier = rule("a by tier", tier=Tier.CORE, position=1)
    assert chosen([by_channel, by_tier], tier=Tier.CORE) == "a by tier"
    first = rule("z first", channel_kind=C.EMAIL, position=0)
    assert chosen([by_channel, by_tier, first], tier=Tier.CORE) == "z first"


def test_a_contact_without_organization_matches_no_tier_policy() -> None:
    assert chosen([rule("core", tier=Tier.CORE)], tier=None) == "default-email"


def test_alerts_owed_by_an_active_clock_then_only_the_breach() -> None:
    events = log((K.CREATED, "2026-03-04T10:00"), (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"))
    policy = targets("3bm")
    early = pending_alerts(clocks(events, policy, now="2026-03-04T10:01"))
    assert [(a.kind, shown(a.at)) for a in early] == [
        (TicketEventKind.SLA_WARNING, "2026-03-04T10:02:24"),
        (TicketEventKind.SLA_BREACHED, "2026-03-04T10:03"),
    ]
    assert shown(next_due(early)) == "2026-03-04T10:02:24"
    assert [a.key for a in early] == ["sla_warning:first_response:1", "sla_breached:first_response:1"]
    late = pending_alerts(clocks(events, policy, now="2026-03-04T10:05"))
    assert [a.kind for a in late] == [TicketEventKind.SLA_BREACHED], "a late warning helps nobody"
    assert pending_alerts(clocks(events, policy, now="2026-03-04T10:05"), {late[0].key}) == []


def test_a_clock_met_in_time_owes_nothing_and_a_late_one_owes_its_breach() -> None:
    answered = [(K.CREATED, "2026-03-04T10:00"), (K.CUSTOMER_MESSAGE, "2026-03-04T10:00")]
    in_time = log(*answered, (K.HUMAN_RESPONSE, "2026-03-04T10:01"))
    assert pending_alerts(clocks(in_time, targets("3bm"), now="2026-03-04T10:05")) == []
    late = log(*answered, (K.HUMAN_RESPONSE, "2026-03-04T10:04"))
    (alert,) = pending_alerts(clocks(late, targets("3bm"), now="2026-03-04T10:05"))
    assert alert.kind is TicketEventKind.SLA_BREACHED and not alert.actionable


def test_a_paused_clock_owes_nothing_until_it_resumes() -> None:
    events = log(
        (K.CREATED, "2026-03-04T10:00"),
        (K.CUSTOMER_MESSAGE, "2026-03-04T10:00"),
        (K.PENDING_ON, "2026-03-04T10:01"),
    )
    assert pending_alerts(clocks(events, targets("3bm", resolution="1bd"), now="2026-03-09T10:00")) == []
