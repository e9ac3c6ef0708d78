"""A form step's values, each checked against the playbook's declaration of its field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from hub.errors import InvalidInput
from hub.playbooks import plan as plans

MAX_VALUE = 4000


def check(plan: plans.Plan, step: plans.PlanStep, given: dict[str, Any]) -> dict[str, Any]:
    """The step's fields from ``given``, each checked against its declaration."""
    unknown = sorted(set(given) - set(step.fields))
    if unknown:
        raise InvalidInput(detail=f"{', '.join(unknown)}: not fields of step {step.id}")
    clean: dict[str, Any] = {}
    for key in step.fields:
        declared = plan.field(key)
        assert declared is not None  # the library checked every form's fields
        value = given.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if declared.optional:
                continue
            raise InvalidInput(detail=f"{key} is required")
        clean[key] = typed(declared, value)
    return clean


def typed(declared: plans.PlanField, value: Any) -> Any:
    key = declared.key
    if declared.type == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "yes", "1", "on"):
            return True
        if str(value).lower() in ("false", "no", "0", "off"):
            return False
        raise InvalidInput(detail=f"{key} must be yes or no")
    if declared.type == "int":
        try:
            return int(str(value))
        except ValueError:
            raise InvalidInput(detail=f"{key} must be a whole number") from None
    text = str(value).strip()
    if len(text) > MAX_VALUE:
        raise InvalidInput(detail=f"{key} must have at most {MAX_VALUE} characters")
    if declared.type == "enum" and text not in declared.values:
        raise InvalidInput(detail=f"{key} must be one of {', '.join(declared.values)}")
    if declared.type == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(detail=f"{key} must be a date (YYYY-MM-DD)") from None
    if declared.pattern is not None and not re.fullmatch(declared.pattern, text):
        raise InvalidInput(detail=f"{key} does not have the expected form")
    return text
