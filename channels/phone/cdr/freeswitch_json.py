"""FreeSWITCH ``mod_json_cdr`` documents: one per channel, from files or posted live.

Channel variables are URL-encoded unless ``encode-values`` is off, so they are decoded here.
The ``*_uepoch``/``*_epoch`` variables are UTC and preferred to the local ``*_stamp`` ones.
Before 2015 ``callflow`` was not an array but a key repeated once per caller profile (the first
the latest); a plain JSON reader keeps only the last, so documents are read keeping repeats.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from channels.phone.cdr.fields import (
    LocalClock,
    channel_endpoint,
    from_epoch,
    queue_name,
    recording,
    whole,
)
from channels.phone.cdr.freeswitch_calls import Channel, missed
from channels.phone.cdr.legs import Leg, out_of_order
from channels.phone.records import Disposition


class _Repeated(list[Any]):
    """The values of a key that a document repeats (the old ``callflow`` form), first first."""


def _keep_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            earlier = document[key]
            if isinstance(earlier, _Repeated):
                earlier.append(value)
            else:
                document[key] = _Repeated([earlier, value])
        else:
            document[key] = value
    return document


_DECODER = json.JSONDecoder(object_pairs_hook=_keep_repeats)


def documents(text: str) -> Iterator[tuple[int, object]]:
    """Each JSON document of a file with the line it starts on: one document, an array of them,
    or one after another (JSON lines). Text that is not JSON ends the file with its reason."""
    size = len(text)
    position = 0
    line = 1

    def skip(position: int, extra: str) -> int:
        while position < size and (text[position].isspace() or text[position] in extra):
            position += 1
        return position

    position = skip(position, "")
    in_array = position < size and text[position] == "["
    if in_array:
        position += 1
    counted = 0
    while True:
        position = skip(position, ",]" if in_array else ",")
        if position >= size:
            return
        line += text.count("\n", counted, position)
        counted = position
        try:
            document, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield line, f"not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
            return
        except RecursionError:
            yield line, "not JSON: nested too deeply"
            return
        yield line, document
        position = end


def parse_one(text: str) -> object:
    """A single document, as the webhook receives it; ValueError when it is not one."""
    return _DECODER.decode(text)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _variables(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    variables: dict[str, str] = {}
    for key, value in raw.items():
        text = _text(value[0] if isinstance(value, _Repeated) else value)
        variables[key] = unquote(text) if "%" in text else text
    return variables


def _callflows(raw: object) -> list[dict[str, Any]]:
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return [flow for flow in raw if isinstance(flow, dict)]
    return []


def _section(flow: dict[str, Any], key: str) -> dict[str, Any]:
    value = flow.get(key)
    return value if isinstance(value, dict) else {}


def channel(document: object, *, line: int, clock: LocalClock) -> Channel | str:
    """The channel a document describes, or why it cannot be read."""
    if not isinstance(document, dict):
        return "not a FreeSWITCH JSON CDR (expected an object)"
    variables = _variables(document.get("variables"))
    flows = _callflows(document.get("callflow"))
    if not variables and not flows:
        return "not a FreeSWITCH JSON CDR (no variables and no callflow)"
    earliest = _section(flows[-1], "caller_profile") if flows else {}
    first_times = _section(flows[-1], "times") if flows else {}
    last_times = _section(flows[0], "times") if flows else {}

    def get(key: str) -> str:
        return variables.get(key, "").strip() or _text(earliest.get(key)).strip()

    try:
        started = _moment(variables, "start", clock) or from_epoch(
            _text(first_times.get("created_time")), micro=True
        )
        answered_at = _moment(variables, "answer", clock) or _first_answer(flows)
        ended = _moment(variables, "end", clock) or from_epoch(
            _text(last_times.get("hangup_time")), micro=True
        )
        bridged_at = _moment(variables, "bridge", clock)
    except (ValueError, OverflowError) as error:
        return f"a time that is not a date and time: {error}"
    if started is None:
        return "no start time"
    if ended is None:
        return "no end time"
    if problem := out_of_order(started, answered_at, ended):
        return problem
    if bridged_at is not None and not started <= bridged_at <= ended:
        bridged_at = None  # a bridge outside the call is no moment of it
    uuid = get("uuid") or variables.get("call_uuid", "").strip()
    if not uuid:
        return "no call id (uuid is empty)"
    originator = variables.get("originator", "").strip() or variables.get("originating_leg_uuid", "").strip()
    links = tuple(
        dict.fromkeys(
            value
            for key in (
                "bleg_uuid",
                "bridge_uuid",
                "signal_bond",
                "originator",
                "originating_leg_uuid",
                "call_uuid",
            )
            if (value := variables.get(key, "").strip()) and value != uuid
        )
    )
    channel_data = document.get("channel_data")
    direction = variables.get("direction") or (
        _text(channel_data.get("direction")) if isinstance(channel_data, dict) else ""
    )
    originated = bool(originator) or direction == "outbound"
    billsec = variables.get("billsec", "").strip()
    answered = answered_at is not None or (whole(billsec) or 0) > 0
    bridge_channel = variables.get("bridge_channel", "").strip()
    bridged = bool(variables.get("bleg_uuid") or variables.get("bridge_uuid") or bridge_channel or bridged_at)
    applications = _applications(document.get("app_log"))
    cause = variables.get("hangup_cause", "")
    outcome = missed(cause, variables.get("sip_hangup_disposition", ""))
    last_app = variables.get("last_app", "").lower()
    if answered and not bridged and (last_app == "voicemail" or "voicemail" in (n for n, _ in applications)):
        outcome = Disposition.voicemail
    answered_by: str | None = None
    if bridged and "/gateway/" not in bridge_channel:
        answered_by = (
            channel_endpoint(bridge_channel)[0]
            or variables.get("last_sent_callee_id_number", "").strip()
            or variables.get("callee_id_number", "").strip()
            or None
        )
    user = variables.get("user_name", "").strip()
    caller = get("caller_id_number") or variables.get("ani", "").strip()
    name = get("caller_id_name") or None
    destination = variables.get("dialed_user", "").strip() if originated else ""
    destination = destination or get("destination_number")
    queue = variables.get("cc_queue", "").strip()
    leg = Leg(
        line=line,
        group=uuid,
        caller=caller,
        callee=get("destination_number"),
        caller_name=None if name in {caller, "Outbound Call", "unknown"} else name,
        placed_by=user if user and not originated else None,
        answered_by=answered_by,
        outcome=outcome,
        queue=queue_name(queue) if queue else None,
        recording_url=_recording(variables, applications),
        started_at=started,
        answered_at=bridged_at or answered_at,
        ended_at=ended,
    )
    return Channel(
        uuid=uuid,
        links=links,
        originated=originated,
        originator=originator,
        answered=answered,
        bridged=bridged,
        destination=destination,
        leg=leg,
    )


def _moment(variables: dict[str, str], prefix: str, clock: LocalClock) -> datetime | None:
    """``<prefix>_uepoch``, else ``_epoch`` (both UTC), else the local ``_stamp``."""
    micro = variables.get(prefix + "_uepoch", "").strip()
    if micro:
        return from_epoch(micro, micro=True)
    seconds = variables.get(prefix + "_epoch", "").strip()
    if seconds:
        return from_epoch(seconds)
    return clock.read(variables.get(prefix + "_stamp", ""))


def _first_answer(flows: list[dict[str, Any]]) -> datetime | None:
    moments = [
        moment
        for flow in flows
        if (moment := from_epoch(_text(_section(flow, "times").get("answered_time")), micro=True))
    ]
    return min(moments) if moments else None


def _applications(app_log: object) -> list[tuple[str, str]]:
    if not isinstance(app_log, dict):
        return []
    applications = app_log.get("applications")
    if not isinstance(applications, list):
        return []
    found = []
    for application in applications:
        if isinstance(application, dict):
            data = _text(application.get("app_data"))
            found.append((_text(application.get("app_name")).lower(), unquote(data) if "%" in data else data))
    return found


_RECORDING_VARIABLES = ("recording_url", "record_file", "recording_file", "sofia_record_file", "record_path")


def _recording(variables: dict[str, str], applications: list[tuple[str, str]]) -> str | None:
    for key in _RECORDING_VARIABLES:
        found = recording(variables.get(key, ""))
        if found:
            return found
    for name, data in applications:
        if name in {"record_session", "record"}:
            found = recording(data.split(" ", 1)[0])
            if found:
                return found
    return None
