"""Role guards. Every route names the roles it admits; there is no route without one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException, WebSocketException
from litestar.handlers import BaseRouteHandler

from hub.domain import Role
from web.auth.identity import CurrentUser, IntegrationClient

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]
#: What the API description says a guarded route needs: a user's bearer token. Routes without it
#: are public on purpose (logging in, health, the channels' webhooks), and the document says so.
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


class RoleDenied(PermissionDeniedException):
    def __init__(self) -> None:
        super().__init__(detail="forbidden")
        self.code = "forbidden"


def requires(*roles: Role) -> Guard:
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            # Litestar's own answer to OPTIONS (the methods a path allows, which the public API
            # description says anyway) runs a controller's guards but skips authentication.
            return
        user = connection.user
        if not isinstance(user, CurrentUser) or user.role not in allowed:
            if connection.scope["type"] == "websocket":
                raise WebSocketException(detail="forbidden", code=4403)
            raise RoleDenied()

    guard.__name__ = "requires_" + "_or_".join(sorted(r.value for r in allowed))
    return guard


any_user = requires(Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.PARTNER)
staff = requires(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
supervisors = requires(Role.SUPERVISOR, Role.ADMIN)
admins = requires(Role.ADMIN)
#: The partner portal's own actions (writing a message, answering a step): a partner user's only.
partners = requires(Role.PARTNER)


def sync_clients(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The ERP sync: an integration token of scope ``sync``, or an administrator."""
    if connection.scope.get("method") == "OPTIONS":
        return
    user = connection.user
    if isinstance(user, IntegrationClient) and user.scope == "sync":
        return
    if isinstance(user, CurrentUser) and user.role is Role.ADMIN:
        return
    raise RoleDenied()
