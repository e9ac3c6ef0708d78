"""``OPTIONS`` answers with every method the path has.

Litestar adds an OPTIONS handler to a path's route when the route is first built; when another
handler joins the path later (a GET beside a POST from another controller), the route is rebuilt
but keeps the first OPTIONS handler, whose ``Allow`` lists only the methods of the first. The
``Allow`` header is rewritten here from the app's final routes.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.routes import HTTPRoute
from litestar.types import Message, Scope


def _methods(app: Litestar) -> dict[str, str]:
    """Path → its methods, worked out on the first OPTIONS request and kept in the app's state."""
    found: dict[str, str] | None = app.state.get("allow_by_path")
    if found is None:
        found = {
            route.path: ", ".join(sorted(route.methods))
            for route in app.routes
            if isinstance(route, HTTPRoute)
        }
        app.state["allow_by_path"] = found
    return found


async def exact_allow(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook."""
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    paths = getattr(scope.get("route_handler"), "paths", None)
    if not paths:
        return
    allowed = _methods(scope["app"]).get(next(iter(paths)))
    headers = MutableScopeHeaders.from_message(message)
    if allowed and "allow" in headers:
        headers["allow"] = allowed
