"""The declarative actions a playbook may ask for, and the shape of each one's argument.

No code in YAML: an action is one of these names with a plain argument, carried out by the hub's
existing use cases (``hub/playbooks/actions.py``). An unknown name fails when the file loads.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from hub.calendars.durations import parse_duration
from hub.errors import InvalidInput

PRIORITIES = ("low", "normal", "high", "urgent")
SCENARIOS = ("inquiry", "complaint", "after_sales", "requirement", "partner", "other")
#: Who ``notify`` tells: the ladder's people (1 team lead, 2 department head, 3 management), the
#: client's account manager, the ticket's assignee.
AUDIENCES = ("team_lead", "department_head", "management", "account_manager", "assignee")

#: ``webhook``'s ``secret_env``: the name of an environment variable, never the secret itself.
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
MAX_NOTE = 500
MAX_URL = 2000


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


def _send_csat(value: Any) -> str | None:
    return None if value is True else "must be true (the ticket's survey, sent now through its channel)"


def _duration(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a duration in the SLA units (30m, 2bh, 1bd)"
    try:
        parse_duration(value)
    except InvalidInput as exc:
        return str(exc.params.get("detail") or exc)
    return None


def _followup(value: Any) -> str | None:
    if isinstance(value, str):
        return _duration(value)
    if not isinstance(value, dict) or "after" not in value:
        return "must be a duration (1bd) or {after: <duration>, note: <text for the assignee>}"
    if set(value) - {"after", "note"}:
        return "takes only after and note"
    if "note" in value and not (isinstance(value["note"], str) and len(value["note"]) <= MAX_NOTE):
        return f"note must be a text of at most {MAX_NOTE} characters"
    return _duration(value["after"])


def _webhook(value: Any) -> str | None:
    shape = "must be {url: https://…, secret_env: <ENV_NAME>} or {url: …, channel: <API channel id>}"
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        return shape
    if set(value) - {"url", "secret_env", "channel"}:
        return "takes only url and one of secret_env or channel"
    url = urlsplit(value["url"])
    if url.scheme not in ("http", "https") or not url.hostname or len(value["url"]) > MAX_URL:
        return f"url must be an http(s) address of at most {MAX_URL} characters"
    if ("secret_env" in value) == ("channel" in value):
        return "needs exactly one secret: secret_env (an environment variable's name) or channel"
    if "secret_env" in value and not (
        isinstance(value["secret_env"], str) and ENV_NAME.fullmatch(value["secret_env"])
    ):
        return "secret_env must be an environment variable's name (A-Z, 0-9, _), not the secret"
    if "channel" in value:
        try:
            uuid.UUID(str(value["channel"]))
        except ValueError:
            return "channel must be the id of an API channel (its webhook secret signs the body)"
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
    "send_csat": _send_csat,
    "schedule_followup": _followup,
    "webhook": _webhook,
}


def problems(action: Any) -> list[tuple[str | None, str]]:
    """(name or None, message) for what is wrong with one action mapping."""
    if not isinstance(action, dict) or len(action) != 1:
        return [(None, "an action is a mapping with exactly one action name, e.g. {set_priority: high}")]
    ((name, argument),) = action.items()
    check = ACTIONS.get(name)
    if check is None:
        return [(name, f"unknown action {name!r} (known: {', '.join(ACTIONS)})")]
    message = check(argument)
    return [(name, f"action {name}: {message}")] if message else []
