"""The declarative actions a playbook may ask for, and the shape of each one's argument.

No code in YAML: an action is one of these names with a plain argument, carried out by the hub's
existing use cases (``hub/playbooks/actions.py``). An unknown name fails when the file loads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PRIORITIES = ("low", "normal", "high", "urgent")
SCENARIOS = ("inquiry", "complaint", "after_sales", "requirement", "partner", "other")
#: Who ``notify`` tells: the ladder's people (1 team lead, 2 department head, 3 management), the
#: client's account manager, the ticket's assignee.
AUDIENCES = ("team_lead", "department_head", "management", "account_manager", "assignee")

#: Actions the format names but this build cannot carry out yet; a file using one is refused with why.
NOT_AVAILABLE = {
    "send_csat": "there is no CSAT survey in this build yet",
    "webhook": "signed webhooks from playbooks are not in this build yet",
    "schedule_followup": "scheduled follow-ups are not in this build yet",
}


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _tag(value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value.strip()) <= 64:
        return None
    return "must be a tag of 1 to 64 characters"


def _assign(value: Any) -> str | None:
    return None if value == "account_manager" else "must be account_manager (the client's own owner)"


def _escalate(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 3:
        return None
    return "must be a ladder level from 1 to 3"


def _requirement(value: Any) -> str | None:
    if not isinstance(value, dict) or not isinstance(value.get("field"), str):
        return "must be {field: <form field holding the requirement>, priority: <priority>}"
    if set(value) - {"field", "priority"}:
        return "takes only field and priority"
    if "priority" in value and value["priority"] not in PRIORITIES:
        return f"priority must be one of {', '.join(PRIORITIES)}"
    return None


#: Action name -> check of its argument (a message, or None when it is fine).
ACTIONS: dict[str, Callable[[Any], str | None]] = {
    "set_priority": _one_of(PRIORITIES),
    "add_tag": _tag,
    "set_scenario": _one_of(SCENARIOS),
    "assign": _assign,
    "notify": _one_of(AUDIENCES),
    "escalate": _escalate,
    "record_requirement": _requirement,
}


def problems(action: Any) -> list[tuple[str | None, str]]:
    """(name or None, message) for what is wrong with one action mapping."""
    if not isinstance(action, dict) or len(action) != 1:
        return [(None, "an action is a mapping with exactly one action name, e.g. {set_priority: high}")]
    ((name, argument),) = action.items()
    if name in NOT_AVAILABLE:
        return [(name, f"action {name}: {NOT_AVAILABLE[name]}")]
    check = ACTIONS.get(name)
    if check is None:
        return [(name, f"unknown action {name!r} (known: {', '.join(ACTIONS)})")]
    message = check(argument)
    return [(name, f"action {name}: {message}")] if message else []
