"""Who may do what, checked inside the use-cases as well as by the web guards.

The web layer refuses early with 403; these checks keep the rule true for every other caller
(CLI, jobs, a future controller that forgets its guard). Non-user actors (cli, system, channel)
act on the operator's behalf and are trusted.
"""

from __future__ import annotations

from hub.actors import Actor
from hub.domain import Role
from hub.errors import Forbidden


def require_staff(actor: Actor) -> None:
    if actor.kind == "user" and not actor.is_staff:
        raise Forbidden()


def require_supervisor(actor: Actor) -> None:
    """Supervisors and administrators (escalating, handing over someone's tickets)."""
    if actor.kind == "user" and actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden()


def require_admin(actor: Actor) -> None:
    if actor.kind == "user" and actor.role is not Role.ADMIN:
        raise Forbidden()
