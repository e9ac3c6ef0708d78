"""`hub channel add email` and `hub ingest email` as an operator runs them (a real process)."""

from __future__ import annotations

import asyncio
import json
import mailbox as mailboxes
import os
import pty
import shutil
from pathlib import Path

import pytest

from tests.conftest import HUB_EXECUTABLE, cli_env
from tests.email_helpers import mail

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "email"


@pytest.fixture(autouse=True)
def _empty_database(runtime) -> None:
    """The runtime fixture empties the database; the commands then run in their own processes."""


async def _mailbox_channel(run_cli) -> str:
    result = await run_cli(
        "channel", "add", "email", "--name", "客服邮箱", "--address", "support@hub.example",
        "--smtp-host", "smtp.hub.example", "--smtp-port", "587", "--smtp-tls", "starttls",
        "--smtp-user", "support@hub.example", "--smtp-password-env", "HUB_SMTP_PASSWORD", "--auto-ack", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    return json.loads(result.out.strip().splitlines()[-1])["id"]


def _summary(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


async def test_channel_add_email_keeps_settings_and_refuses_secrets(run_cli) -> None:
    channel_id = await _mailbox_channel(run_cli)
    listed = json.loads((await run_cli("channel", "list", "--json")).out)
    assert listed == [
        {
            "id": channel_id,
            "kind": "email",
            "name": "客服邮箱",
            "active": True,
            "config": {
                "address": "support@hub.example",
                "smtp_host": "smtp.hub.example",
                "smtp_port": 587,
                "smtp_tls": "starttls",
                "smtp_user": "support@hub.example",
                "smtp_password_env": "HUB_SMTP_PASSWORD",
                "auto_ack": True,
            },
            "sources": [],
        }
    ]
    no_address = await run_cli("channel", "add", "email", "--name", "x")
    assert no_address.code == 2 and "--address" in no_address.err
    bad_env = await run_cli(
        "channel", "add", "email", "--name", "y", "--address", "y@hub.example", "--smtp-password-env", "my password"
    )  # fmt: skip
    # Checked against the kind's settings before anything is opened: a usage error, as click's own.
    assert bad_env.code == 2 and "environment variable" in bad_env.err and "Traceback" not in bad_env.err
    bad_address = await run_cli("channel", "add", "email", "--name", "z", "--address", "not-an-address")
    assert bad_address.code == 2 and "--address: must be an e-mail address" in bad_address.err


async def test_ingest_the_corpus_twice(run_cli, tmp_path) -> None:
    channel_id = await _mailbox_channel(run_cli)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for file in CORPUS.glob("*.eml"):
        shutil.copy(file, folder / file.name)
    first = await run_cli("ingest", "email", str(folder), "--channel", channel_id, "--json")
    assert first.code == 1  # two files were rejected
    summary = _summary(first.out)
    assert summary["files"] == 33
    assert summary["created"] + summary["threaded"] == 23 and summary["threaded"] >= 1
    assert (summary["duplicate"], summary["ignored"], summary["rejected"]) == (0, 8, 2)
    assert sorted((Path(p["file"]).name, p["reason"]) for p in summary["problems"]) == [
        ("broken_binary.eml", "no mail headers"),
        ("broken_no_sender.eml", "no sender address (From)"),
    ]
    assert "Traceback" not in first.err

    second = await run_cli("ingest", "email", str(folder), "--channel", channel_id, "--json")
    again = _summary(second.out)
    assert (again["files"], again["created"], again["threaded"], again["duplicate"]) == (33, 0, 0, 23)
    assert (again["ignored"], again["rejected"]) == (8, 2)


async def test_ingest_maildir_and_mbox_and_a_broken_file(run_cli, tmp_path) -> None:
    channel_id = await _mailbox_channel(run_cli)
    maildir = mailboxes.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(mail(subject="maildir one", message_id="<md1@client.example>"))
    maildir.add(mail(sender="li@client.example", subject="maildir two", message_id="<md2@client.example>"))
    box = mailboxes.mbox(tmp_path / "archive.mbox", create=True)
    box.add(mail(sender="zhao@client.example", subject="mbox root", message_id="<mb1@client.example>"))
    box.add(
        mail(
            sender="zhao@client.example",
            subject="Re: mbox root",
            message_id="<mb2@client.example>",
            headers={"In-Reply-To": "<mb1@client.example>"},
        )
    )
    box.add(mail(subject="maildir one", message_id="<md1@client.example>"))  # the same mail, archived twice
    box.close()
    broken = tmp_path / "broken.eml"
    broken.write_bytes(b"\x00\x01 not a mail")
    paths = [str(tmp_path / "Maildir"), str(tmp_path / "archive.mbox"), str(broken)]
    result = await run_cli("ingest", "email", *paths, "--channel", channel_id, "--json")
    summary = _summary(result.out)
    assert {k: summary[k] for k in ("files", "created", "threaded", "duplicate", "ignored", "rejected")} == {
        "files": 6,
        "created": 3,
        "threaded": 1,
        "duplicate": 1,
        "ignored": 0,
        "rejected": 1,
    }
    assert summary["problems"] == [{"file": str(broken), "reason": "no mail headers"}]
    human = await run_cli("ingest", "email", *paths, "--channel", channel_id)
    assert human.out.strip() == "6 mails: 0 created, 0 threaded, 5 duplicate, 0 ignored, 1 rejected"
    assert f"rejected {broken}: no mail headers" in human.err


async def test_ingest_into_a_channel_that_is_not_a_mailbox_is_refused(run_cli, tmp_path) -> None:
    api = json.loads(
        (await run_cli("channel", "add", "api", "--name", "ERP", "--json")).out.strip().splitlines()[-1]
    )
    (tmp_path / "a.eml").write_bytes(mail())
    result = await run_cli("ingest", "email", str(tmp_path / "a.eml"), "--channel", api["id"])
    assert result.code == 1 and "not a mailbox" in result.err and "Traceback" not in result.err


async def test_a_progress_bar_on_a_terminal(run_cli, settings, tmp_path) -> None:
    channel_id = await _mailbox_channel(run_cli)
    for number in range(3):
        (tmp_path / f"{number}.eml").write_bytes(mail(subject=f"mail {number}"))
    leader, follower = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        HUB_EXECUTABLE, "ingest", "email", str(tmp_path), "--channel", channel_id,
        env=cli_env(settings), stdout=asyncio.subprocess.PIPE, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert process.returncode == 0
    assert b"ingesting" in screen and b"100%" in screen
    assert out.decode().strip() == "3 mails: 3 created, 0 threaded, 0 duplicate, 0 ignored, 0 rejected"


async def test_channel_add_email_keeps_the_path_of_a_ca_file(run_cli, tmp_path: Path) -> None:
    ca = tmp_path / "company-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")  # only its path is kept; read when used
    added = await run_cli(
        "channel", "add", "email", "--name", "私有 CA", "--address", "ca@hub.example",
        "--smtp-host", "smtp.internal", "--tls-ca-file", str(ca), "--json",
    )  # fmt: skip
    assert added.code == 0, added.err
    (listed,) = json.loads((await run_cli("channel", "list", "--json")).out)
    assert listed["config"]["tls_ca_file"] == str(ca.resolve())
    missing = await run_cli(
        "channel", "add", "email", "--name", "x", "--address", "x@hub.example", "--tls-ca-file", "/nonexistent/ca.pem"
    )  # fmt: skip
    assert missing.code == 2 and "--tls-ca-file" in missing.err


async def test_without_channel_the_only_mailbox_is_used_and_several_are_named(run_cli, tmp_path) -> None:
    (tmp_path / "a.eml").write_bytes(mail(subject="to the only mailbox", message_id="<only@client.example>"))
    none_yet = await run_cli("ingest", "email", str(tmp_path / "a.eml"))
    assert none_yet.code == 1 and "hub channel add email" in none_yet.err and "Traceback" not in none_yet.err
    first = await _mailbox_channel(run_cli)
    await run_cli("channel", "add", "api", "--name", "ERP")  # not a mailbox: no choice to make
    result = await run_cli("ingest", "email", str(tmp_path / "a.eml"), "--json")
    assert result.code == 0, result.err
    assert _summary(result.out)["created"] == 1

    second = await run_cli(
        "channel", "add", "email", "--name", "销售邮箱", "--address", "sales@hub.example", "--json"
    )
    second_id = json.loads(second.out.strip().splitlines()[-1])["id"]
    ambiguous = await run_cli("ingest", "email", str(tmp_path / "a.eml"))
    assert ambiguous.code == 1 and "Traceback" not in ambiguous.err
    assert "choose one" in ambiguous.err
    assert f"--channel {first} (客服邮箱)" in ambiguous.err
    assert f"--channel {second_id} (销售邮箱)" in ambiguous.err
