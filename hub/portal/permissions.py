"""What a partner user may do in the portal, beyond what :mod:`hub.scope` lets it see.

Scope decides *which* rows a partner reaches (its own organization's); a permission decides
*which kinds* of its own records a given person of that partner handles: the buyer's supplier
portals let a supplier keep prices from its warehouse staff, and quality answers with its
quality engineers. Staff are never limited here: their roles are :mod:`hub.permissions`' business.
"""

from __future__ import annotations

from hub.actors import Actor
from hub.domain import PortalPermission
from hub.errors import Forbidden


def may(actor: Actor, permission: PortalPermission) -> bool:
    """Whether ``actor`` may use ``permission``: staff always, a partner user only when granted."""
    if not actor.is_partner:
        return actor.is_staff or actor.kind != "user"
    return permission in actor.portal_permissions


def require(actor: Actor, permission: PortalPermission) -> None:
    if not may(actor, permission):
        raise Forbidden("portal_permission_needed", permission=permission.value)
