"""The API does what its description says, for every role: Schemathesis generates requests from
``/schema/openapi.json`` (boundary values of every stated constraint, then random ones) against the
app served by uvicorn, logged in as an admin, a supervisor, an agent and a partner, and checks every
answer: no server error, only documented statuses and media types, responses that match their
schemas, schema-valid requests accepted (but for the rules ``schemathesis.toml`` names) and
schema-violating ones refused. A short budget here; the README gives a longer run by hand.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from hub.core import Hub
from hub.domain import OrganizationKind, Role
from hub.models.channels import ChannelKind
from tests import factories
from tests.live import serve

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = str(Path(sys.executable).with_name("st"))
#: Examples per operation beyond the boundary cases the coverage phase derives from the schema.
EXAMPLES = "2"
#: Logging out would end the token the rest of the run uses.
SPARED = "/api/v1/auth/logout$"


async def _world(hub: Hub) -> None:
    """Something for the generated ids to miss and the lists to page through."""
    organization = await factories.organization(
        hub, kind=OrganizationKind.PARTNER, domains=["partner.example"]
    )
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    for n in range(3):
        await factories.inbound(
            hub, channel.id, sender=f"buyer{n}@partner.example", text=f"订单 {n} 什么时候到？"
        )
    await factories.user(
        hub, Role.PARTNER, organization_id=organization.id, email="contract-partner@partner.example"
    )


#: A whole API's run per role: on a busy 2-core machine it outgrows the suite's 120 s per test (the
#: Schemathesis process itself is given 600 s below).
@pytest.mark.timeout(600)
@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.PARTNER])
async def test_the_api_keeps_its_described_contract(hub: Hub, tmp_path: Path, role: Role) -> None:
    await _world(hub)
    if role is Role.PARTNER:
        person_email = "contract-partner@partner.example"
    else:
        person_email = (await factories.user(hub, role)).email
    with serve(hub.settings) as base:
        async with httpx.AsyncClient(base_url=base) as http:
            login = await http.post(
                "/api/v1/auth/login", json={"email": person_email, "password": factories.PASSWORD}
            )
            assert login.status_code == 200, login.text
            token = login.json()["token"]
        process = await asyncio.create_subprocess_exec(
            SCHEMATHESIS,
            "--config-file",
            str(ROOT / "schemathesis.toml"),
            "run",
            f"{base}/schema/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--phases",
            "coverage,fuzzing",
            "--max-examples",
            EXAMPLES,
            "--seed",
            "20261206",
            "--exclude-path-regex",
            SPARED,
            "--workers",
            "1",
            "--no-color",
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    report = out.decode(errors="replace")
    failures = report.find("FAILURES")
    assert process.returncode == 0, report[failures:][:12000] if failures >= 0 else report[-6000:]
    assert "No issues found" in report or "passed" in report, report[-2000:]
