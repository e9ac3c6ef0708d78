"""The API description says which operations need a user's token, exactly as the server does."""

from __future__ import annotations

import pytest
from litestar.routes import HTTPRoute

pytestmark = pytest.mark.anyio

BEARER = [{"bearer": []}]


async def test_every_operation_says_whether_it_needs_a_token(client) -> None:
    described = (await client.get("/schema/openapi.json")).json()
    assert "security" not in described, "no blanket requirement: public routes would inherit it"
    checked = 0
    for route in client.app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in described["paths"]:
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                operation = described["paths"][route.path_format].get(method.lower())
                if operation is None:
                    continue
                public = bool(handler.opt.get("exclude_from_auth"))
                assert operation.get("security", []) == ([] if public else BEARER), (
                    method,
                    route.path_format,
                )
                checked += 1
    assert checked > 50
    paths = described["paths"]
    assert "security" not in paths["/api/v1/auth/login"]["post"]
    assert "security" not in paths["/channels/wechat/{channel_id}"]["post"]
    assert paths["/api/v1/tickets"]["get"]["security"] == BEARER
