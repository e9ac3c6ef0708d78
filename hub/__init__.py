"""The hub core: one ticket model fed by every channel.

Nothing in this package knows about HTTP, the web framework or any channel's protocol;
the outer layers call in through :class:`hub.core.Hub` and plug in through :mod:`hub.ports`.

``Hub`` and the inbound types are loaded on first access: importing any light submodule (the
domain enums, the calendar maths a ``hub`` command parses its arguments with) then does not load
SQLAlchemy and every use-case with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.intake.inbound import InboundAttachment, InboundMessage, Sender

__all__ = ["Hub", "InboundAttachment", "InboundMessage", "Sender"]

_HOMES = {
    "Hub": "hub.core",
    "InboundAttachment": "hub.intake.inbound",
    "InboundMessage": "hub.intake.inbound",
    "Sender": "hub.intake.inbound",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'hub' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
