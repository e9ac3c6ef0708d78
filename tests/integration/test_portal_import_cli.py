"""``hub token create --scope sync`` and ``hub import partners``: the ERP's token works on the sync
API, and CSV files in UTF-8 (with or without BOM) and GB18030 go in row by row, dry or not."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from hub.models import AuditEvent, Organization, PortalOrder, PortalOrderLine, QualityCase, Ticket

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

PARTNERS = (
    "external_ref,name,domains,tier\n"
    "V-1,华东精密制造,eastprec.example,core\n"
    "V-2,Nordic Bearings,nordic.example;nb.example,\n"
    "V-3,,broken.example,\n"
)


async def _names(hub) -> set[str]:
    async with hub.uow() as uow:
        return set(await uow.session.scalars(sa.select(Organization.name)))


async def test_an_integration_token_from_the_cli_syncs_over_the_api(invoke_cli, client) -> None:
    made = await invoke_cli("token", "create", "--name", "erp", "--scope", "sync", "--json")
    assert made.code == 0, made.err
    token = json.loads(made.out)["token"]
    pushed = await client.put(
        "/api/v1/sync/partners/sap/V-1",
        json={"name": "CLI token supplier", "source_updated_at": "2026-12-01T00:00:00Z"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert pushed.status_code == 201, pushed.text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
async def test_a_partner_file_in_any_of_the_encodings_goes_in_row_by_row(
    hub, invoke_cli, tmp_path, encoding
) -> None:
    path = tmp_path / "partners.csv"
    path.write_bytes(PARTNERS.encode(encoding))
    dry = await invoke_cli("import", "partners", "--entity", "partners", str(path), "--dry-run", "--json")
    assert dry.code == 1, dry.err  # a row failed
    report = json.loads(dry.out)
    assert report["encoding"] == encoding and report["dry_run"] is True
    assert [(r["line"], r.get("result") or r["code"]) for r in report["rows"]] == [
        (2, "created"),
        (3, "created"),
        (4, "invalid_input"),
    ]
    assert "华东精密制造" not in await _names(hub), "a dry run changes nothing"

    real = await invoke_cli("import", "partners", str(path), "--json")
    assert json.loads(real.out)["counts"] == {"created": 2, "failed": 1}
    assert {"华东精密制造", "Nordic Bearings"} <= await _names(hub)
    again = await invoke_cli("import", "partners", str(path), "--mode", "insert", "--json")
    assert [r.get("code") for r in json.loads(again.out)["rows"]] == ["conflict", "conflict", "invalid_input"]
    same = await invoke_cli("import", "partners", str(path), "--json")
    assert json.loads(same.out)["counts"] == {"unchanged": 2, "failed": 1}
    async with hub.uow() as uow:
        runs = list(
            await uow.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == "sync.imported").order_by(AuditEvent.id)
            )
        )
    assert [r.after["dry_run"] for r in runs] == [True, False, False, False]


async def test_an_order_file_groups_its_lines_and_names_a_bad_row(hub, invoke_cli, tmp_path) -> None:
    partners = tmp_path / "partners.csv"
    partners.write_text("external_ref,name\nV-1,Order file supplier\n", encoding="utf-8")
    assert (await invoke_cli("import", "partners", str(partners), "--source", "sap")).code == 0
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "external_ref,partner_ref,number,line,item,description,quantity,unit,unit_price,requested_date\n"
        "4500001,V-1,PO-1,1,BRK-20,支架,100,pcs,12.5,2026-12-20\n"
        "4500001,V-1,PO-1,2,SCR-4,螺丝,500,pcs,0.1,2026-12-22\n"
        "4500002,V-9,PO-2,1,BRK-20,,10,pcs,,2026-12-20\n",
        encoding="utf-8",
    )
    result = await invoke_cli(
        "import", "partners", "--entity", "orders", "--source", "sap", str(orders), "--json"
    )
    report = json.loads(result.out)
    assert report["rows"][0]["lines"] == [2, 3] and report["rows"][0]["result"] == "created"
    assert report["rows"][1]["line"] == 4 and report["rows"][1]["code"] == "invalid_input"
    async with hub.uow() as uow:
        order = await uow.session.scalar(sa.select(PortalOrder).where(PortalOrder.number == "PO-1"))
        count = await uow.session.scalar(
            sa.select(sa.func.count())
            .select_from(PortalOrderLine)
            .where(PortalOrderLine.order_id == order.id)
        )
    assert count == 2
    text = await invoke_cli("import", "partners", "--entity", "orders", "--source", "sap", str(orders))
    assert "orders.csv:2: 4500001: unchanged" in text.out and "orders.csv:4: 4500002: 422" in text.out


async def test_a_quality_case_file_goes_through_the_same_sync(hub, invoke_cli, tmp_path) -> None:
    partners = tmp_path / "partners.csv"
    partners.write_text("external_ref,name\nV-1,Quality file supplier\n", encoding="utf-8")
    assert (await invoke_cli("import", "partners", str(partners), "--source", "sap")).code == 0
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "external_ref,partner_ref,number,title,severity,item,lot\n"
        "Q-1,V-1,NCR-1,来料毛刺 Burrs,minor,BRK-20,L7\n"
        "Q-2,V-9,NCR-2,Unknown partner,,,\n",
        encoding="gb18030",
    )
    dry = await invoke_cli(
        "import",
        "partners",
        "--entity",
        "quality_cases",
        "--source",
        "sap",
        str(cases),
        "--dry-run",
        "--json",
    )
    assert json.loads(dry.out)["counts"] == {"created": 1, "failed": 1}
    async with hub.uow() as uow:
        assert await uow.session.scalar(sa.select(sa.func.count()).select_from(QualityCase)) == 0
        conversations = await uow.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
    done = await invoke_cli(
        "import", "partners", "--entity", "quality_cases", "--source", "sap", str(cases), "--json"
    )
    report = json.loads(done.out)
    assert [(r["line"], r.get("result"), r.get("code")) for r in report["rows"]] == [
        (2, "created", None),
        (3, None, "invalid_input"),
    ]
    async with hub.uow() as uow:
        case = await uow.session.scalar(sa.select(QualityCase))
    assert (case.number, case.title, case.lot) == ("NCR-1", "来料毛刺 Burrs", "L7")
    async with hub.uow() as uow:  # the dry run's conversation is the case's: no second one
        assert await uow.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == conversations
        assert await uow.session.scalar(sa.select(Ticket.id).where(Ticket.id == case.ticket_id)) is not None
    again = await invoke_cli(
        "import", "partners", "--entity", "quality_cases", "--source", "sap", str(cases), "--json"
    )
    assert json.loads(again.out)["counts"] == {"unchanged": 1, "failed": 1}
