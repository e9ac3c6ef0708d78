"""The part of a pinned playbook document the core runs: steps, fields, actions, SLA targets.

Decoded from the stored document (the library checked the whole of it when it loaded), ignoring
what only the library reads (templates, tone, triggers). The walk decides which steps apply:
steps run in order, a branch jumps to its target once the forms before it are filled in, and
``next`` jumps (or ``end`` stops); steps jumped over do not apply and never gate resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

DONE, SKIPPED = "done", "skipped"


class PlanField(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    type: str = "str"
    label: dict[str, str] = msgspec.field(default_factory=dict)
    values: list[str] = msgspec.field(default_factory=list)
    pattern: str | None = None
    optional: bool = False


class PlanDue(msgspec.Struct, frozen=True, kw_only=True):
    within: str
    start: str = "start"


class PlanRule(msgspec.Struct, frozen=True, kw_only=True):
    when: str | None = None
    goto: str


class PlanStep(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    title: dict[str, str]
    required: bool = False
    due: PlanDue | None = None
    template: str | None = None
    items: list[dict[str, str]] = msgspec.field(default_factory=list)
    fields: list[str] = msgspec.field(default_factory=list)
    actions: list[dict[str, Any]] = msgspec.field(default_factory=list)
    branch: list[PlanRule] = msgspec.field(default_factory=list)
    wait: str | None = None
    team: str | None = None
    question: dict[str, str] | None = None
    next: str | None = None


class PlanSla(msgspec.Struct, frozen=True, kw_only=True):
    first_response: dict[str, str] | str | None = None
    next_response: str | None = None
    resolution: str | None = None


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    version: int
    title: dict[str, str]
    scenario: str
    fields: list[PlanField] = msgspec.field(default_factory=list)
    sla: PlanSla | None = None
    on_start: list[dict[str, Any]] = msgspec.field(default_factory=list)
    steps: list[PlanStep]

    def step(self, step_id: str) -> PlanStep | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def field(self, key: str) -> PlanField | None:
        return next((item for item in self.fields if item.key == key), None)


def decode(document: Mapping[str, Any]) -> Plan:
    return msgspec.convert(dict(document), Plan)


@dataclass(frozen=True)
class Walk:
    #: Steps that apply, in order, as far as can be decided now.
    applicable: list[str]
    #: Branch id -> the step it went to.
    decided: dict[str, str]
    #: A branch waiting for the forms before it, if the walk stopped there.
    undecided: str | None


def walk(
    plan: Plan,
    states: Mapping[str, Any],
    values: Mapping[str, Any],
    condition: Callable[[str, Mapping[str, Any]], bool],
) -> Walk:
    index = {step.id: number for number, step in enumerate(plan.steps)}
    applicable: list[str] = []
    decided: dict[str, str] = {}
    position = 0
    while position < len(plan.steps):
        step = plan.steps[position]
        if step.id in applicable:  # a goto back: never loop
            break
        applicable.append(step.id)
        if step.kind == "branch":
            forms_open = [s for s in applicable if plan.steps[index[s]].kind == "form" and s not in states]
            if forms_open:
                return Walk(applicable, decided, step.id)
            target = next(
                (rule.goto for rule in step.branch if rule.when is None or condition(rule.when, values)), None
            )
            if target is None:
                break
            decided[step.id] = target
            position = index[target]
            continue
        if step.next == "end":
            break
        position = index[step.next] if step.next else position + 1
    return Walk(applicable, decided, None)


def open_required(plan: Plan, states: Mapping[str, Any], route: Walk) -> list[str]:
    """Required steps that apply and are neither done nor skipped (a pending branch counts)."""
    missing = [
        step_id
        for step_id in route.applicable
        if step_id not in states and (plan_step := plan.step(step_id)) is not None and plan_step.required
    ]
    if route.undecided is not None:
        missing.append(route.undecided)
    return missing
