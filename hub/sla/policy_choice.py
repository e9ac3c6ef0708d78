"""SLA policies as values, and the rule that picks one for a ticket.

A policy matches on channel kind, priority and client tier; each criterion left empty matches
anything. Among the matching policies the most specific wins (the one with the most criteria set),
then the lower ``position``, then the name, so the choice never depends on storage order. The
built-in defaults (:mod:`hub.sla.defaults`) take part too but lose to any stored policy that
matches: once an administrator writes a policy for some tickets, that policy is the whole promise
for them (a target it leaves empty means "no target", as in Zendesk and Freshdesk).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from hub.calendars.durations import DurationSpec
from hub.domain import ChannelKind, Priority, Tier
from hub.sla.targets import Target


@dataclass(frozen=True)
class SlaTargets:
    """The durations promised; ``None`` means no promise for that target."""

    first_response: DurationSpec | None = None
    next_response: DurationSpec | None = None
    resolution: DurationSpec | None = None

    def spec(self, target: Target) -> DurationSpec | None:
        match target:
            case Target.FIRST_RESPONSE:
                return self.first_response
            case Target.NEXT_RESPONSE:
                return self.next_response
            case Target.RESOLUTION:
                return self.resolution


@dataclass(frozen=True)
class PolicyRule:
    name: str
    targets: SlaTargets
    channel_kind: ChannelKind | None = None
    priority: Priority | None = None
    tier: Tier | None = None
    position: int = 0
    #: Built-in defaults lose to every stored policy that matches.
    builtin: bool = False
    #: The stored row's id (``None`` for a built-in default).
    id: uuid.UUID | None = None

    @property
    def specificity(self) -> int:
        return sum(value is not None for value in (self.channel_kind, self.priority, self.tier))

    def matches(self, channel_kind: ChannelKind, priority: Priority, tier: Tier | None) -> bool:
        return (
            (self.channel_kind is None or self.channel_kind is channel_kind)
            and (self.priority is None or self.priority is priority)
            and (self.tier is None or self.tier is tier)
        )

    def precedence(self) -> tuple[bool, int, int, str]:
        """Sort key: the first rule in this order wins."""
        return (self.builtin, -self.specificity, self.position, self.name)


def choose_policy(
    rules: Iterable[PolicyRule], *, channel_kind: ChannelKind, priority: Priority, tier: Tier | None
) -> PolicyRule | None:
    """The policy that applies to a ticket; ``tier`` is ``None`` for a contact without organization."""
    matching = [rule for rule in rules if rule.matches(channel_kind, priority, tier)]
    return min(matching, key=PolicyRule.precedence, default=None)
