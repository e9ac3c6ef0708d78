"""The directory and SLA request bodies are the services' commands, published under their old schema names."""

from __future__ import annotations

import msgspec
import pytest

from hub.accounts import accounts, organizations, teams, users
from hub.commands import Command
from hub.sla import policies as sla_policies

pytestmark = pytest.mark.anyio

#: (method, path) -> (schema component the API has always published, the command it decodes into)
BODIES: dict[tuple[str, str], tuple[str, type[Command]]] = {
    ("post", "/api/v1/users"): ("UserIn", accounts.NewUser),
    ("patch", "/api/v1/users/{user_id}"): ("UserPatch", users.UserChanges),
    ("patch", "/api/v1/users/me"): ("ProfilePatch", users.ProfileChanges),
    ("post", "/api/v1/organizations"): ("OrganizationIn", organizations.NewOrganization),
    ("patch", "/api/v1/organizations/{organization_id}"): (
        "OrganizationPatch",
        organizations.OrganizationChanges,
    ),
    ("post", "/api/v1/teams"): ("TeamIn", teams.NewTeam),
    ("patch", "/api/v1/teams/{team_id}"): ("TeamPatch", teams.TeamChanges),
    ("post", "/api/v1/sla-policies"): ("PolicyIn", sla_policies.NewPolicy),
    ("patch", "/api/v1/sla-policies/{policy_id}"): ("PolicyPatch", sla_policies.PolicyChanges),
}


async def test_each_body_publishes_exactly_its_commands_fields_under_its_old_name(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    for (method, path), (name, command) in BODIES.items():
        body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{name}"}, path
        component = schema["components"]["schemas"][name]
        fields = msgspec.structs.fields(command)
        assert component["title"] == name
        assert set(component["properties"]) == {f.encode_name for f in fields}, name
        assert set(component["required"]) == {f.encode_name for f in fields if f.required}, name


@pytest.mark.parametrize("command", sorted({c for _, c in BODIES.values()}, key=lambda c: c.__name__))
def test_commands_refuse_fields_they_do_not_know(command: type[Command]) -> None:
    """Unknown keys are refused as soon as they are read, before any missing field is noticed."""
    with pytest.raises(msgspec.ValidationError, match="unknown field `colour`"):
        msgspec.convert({"colour": "red"}, command)
