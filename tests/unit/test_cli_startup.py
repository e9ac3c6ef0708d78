"""``hub --help`` and the help of each group load click and the argument parsers, not the stacks
the commands run on: an operator's first contact with the command, and every shell completion,
stays at the cost of click (see bench/cli_startup.py for the times).

Checked in a fresh interpreter each, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from web.cli import COMMANDS, main

#: Loaded only by a command that runs: the web framework, the database and queue clients, the
#: channels' protocol libraries, password hashing and the metrics and logging setup.
HEAVY = (
    "litestar",
    "sqlalchemy",
    "asyncpg",
    "alembic",
    "redis",
    "arq",
    "httpx",
    "uvicorn",
    "wechatpy",
    "cryptography",
    "argon2",
    "phonenumbers",
    "chinese_calendar",
    "structlog",
    "prometheus_client",
    "aiosmtplib",
    "imapclient",
    "aiosmtpd",
    "hub.core",
    "hub.models",
    "web.runtime",
    "reportlab",
)

PROBE = """
import json, sys
from web.cli import main
try:
    main(sys.argv[1:], prog_name="hub")
except SystemExit as exit:
    code = exit.code
heavy = sorted(name for name in sys.modules if name.split(".")[0] in HEAVY or name in HEAVY)
print(json.dumps({"code": code, "heavy": heavy}))
"""


def _probe(*args: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    *help_lines, last = result.stdout.splitlines()
    assert any(line.startswith("Usage: hub") for line in help_lines), result.stdout
    return json.loads(last)


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("channel", "--help"),
        ("channel", "add", "--help"),
        ("channel", "add", "wechat", "--help"),
        ("channel", "add", "email", "--help"),
        ("sla", "due", "--help"),
        ("calendar", "--help"),
        ("report", "monthly", "--help"),
    ],
    ids=" ".join,
)
def test_help_loads_none_of_the_heavy_stacks(args: tuple[str, ...]) -> None:
    assert _probe(*args) == {"code": 0, "heavy": []}


def test_the_probe_sees_a_heavy_import() -> None:
    """The check above is only as good as its probe: a command that did load SQLAlchemy is seen."""
    result = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\nimport sqlalchemy\n{PROBE}", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "sqlalchemy" in json.loads(result.stdout.splitlines()[-1])["heavy"]


def test_every_listed_command_loads_under_its_name() -> None:
    for name in COMMANDS:
        command = main.get_command(click.Context(main), name)
        assert isinstance(command, click.Command) and command.name == name, name
    listed = CliRunner().invoke(main, ["--help"]).output
    commands = listed.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in commands] == sorted(COMMANDS)
