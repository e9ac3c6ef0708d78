"""The API description lists the error answers each operation can give, in the media type they
are given in, and ``OPTIONS`` names every method a path has (what schemathesis checks)."""

from __future__ import annotations

import pytest

from hub.domain import Role
from tests import factories

pytestmark = pytest.mark.anyio

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
METHODS = ("get", "put", "post", "delete", "patch")


async def test_error_answers_are_described_as_problem_details(client) -> None:
    described = (await client.get("/schema/openapi.json")).json()
    assert {"type", "title", "status", "detail", "code"} <= set(
        described["components"]["schemas"]["Problem"]["required"]
    )
    operations = [
        (path, method, operation)
        for path, item in described["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(operations) > 50
    for path, method, operation in operations:
        answers = operation["responses"]
        where = f"{method.upper()} {path}"
        assert answers["400"]["content"]["application/problem+json"]["schema"] == PROBLEM_REF, where
        if operation.get("security"):
            assert {"401", "403"} <= set(answers), where
        if "{" in path:
            assert "404" in answers, where
        if "requestBody" in operation:
            assert {"413", "422"} <= set(answers), where
        for status, answer in answers.items():
            if status == "204":
                assert "content" not in answer, where
    login = described["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "429"} <= set(login)
    wechat = described["paths"]["/channels/wechat/{channel_id}"]["post"]["responses"]
    assert "text/plain" in wechat["403"]["content"]  # WeChat is answered in its own words


async def test_options_names_every_method_of_the_path(client, hub) -> None:
    admin = await factories.login(client, await factories.user(hub, Role.ADMIN))
    answered = await client.options("/api/v1/channels", headers=admin)
    assert answered.status_code == 204
    assert answered.headers["allow"] == "GET, OPTIONS, POST"
