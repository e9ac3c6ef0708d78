from __future__ import annotations

import base64
import uuid
from urllib.parse import unquote

import pytest

from hub.domain import ChannelKind, Role
from hub.intake.inbound import InboundAttachment
from tests import factories
from tests.web.helpers import assert_problem

pytestmark = pytest.mark.anyio

FILENAME = "合同（草案）v2.pdf"
PDF = b"%PDF-1.4 pretend"


async def _ticket_with_files(hub, client, cast) -> tuple[str, str, str]:
    """A partner-organization ticket with a customer file and a file on an internal note."""
    email = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(
        hub,
        email.id,
        sender="buyer@partner.example",
        text="请看附件",
        attachments=(InboundAttachment(filename=FILENAME, content_type="application/pdf", data=PDF),),
    )
    ticket = (await client.get(f"/api/v1/tickets/{result.ticket_id}", headers=cast.as_(Role.AGENT))).json()
    [customer_file] = ticket["messages"][0]["attachments"]
    note = {
        "text": "内部备注",
        "attachments": [{"filename": "internal.txt", "data_base64": base64.b64encode(b"secret").decode()}],
    }
    response = await client.post(
        f"/api/v1/tickets/{result.ticket_id}/notes", json=note, headers=cast.as_(Role.AGENT)
    )
    assert response.status_code == 201, response.text
    ticket = (await client.get(f"/api/v1/tickets/{result.ticket_id}", headers=cast.as_(Role.AGENT))).json()
    [note_file] = ticket["messages"][1]["attachments"]
    return str(result.ticket_id), customer_file["url"], note_file["url"]


async def test_download_streams_bytes_with_safe_headers(hub, client, cast) -> None:
    _, customer_url, note_url = await _ticket_with_files(hub, client, cast)
    response = await client.get(customer_url, headers=cast.as_(Role.AGENT))
    assert response.status_code == 200, response.text
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename*=UTF-8''")
    assert unquote(disposition.split("''", 1)[1]) == FILENAME
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["cache-control"] == "private"

    note = await client.get(note_url, headers=cast.as_(Role.SUPERVISOR))
    assert note.status_code == 200 and note.content == b"secret"


async def test_partner_downloads_own_files_but_never_notes(hub, client, cast) -> None:
    _, customer_url, note_url = await _ticket_with_files(hub, client, cast)
    partner = cast.as_(Role.PARTNER)
    assert (await client.get(customer_url, headers=partner)).content == PDF
    assert_problem(await client.get(note_url, headers=partner), 404, "not_found")


async def test_download_errors(client, cast) -> None:
    missing = f"/api/v1/attachments/{uuid.uuid4()}"
    assert_problem(await client.get(missing, headers=cast.as_(Role.ADMIN)), 404, "not_found")
    assert_problem(await client.get(missing), 401, "not_authenticated")
    assert_problem(
        await client.get("/api/v1/attachments/not-a-uuid", headers=cast.as_(Role.ADMIN)), 404, "http_404"
    )
