"""The ``hub`` command line.

Every command resolves servers the same way as ``hub serve``: the configured URLs, else the
embedded servers of the data folder, attaching to the ones a running ``hub serve`` holds or
starting them for the duration of the command.

One module per command group; a command is imported only when it is run (or listed by ``--help``)
and imports what its work needs only once it runs, so an operator's ``hub sla due`` starts in a
fraction of the time the web app takes to load.
"""

from __future__ import annotations

import click

from web.cli.lazy import LazyGroup

#: Command name -> where it lives (``module:attribute``).
COMMANDS = {
    "backup": "web.cli.backup:backup",
    "calendar": "web.cli.calendar:calendar_group",
    "channel": "web.cli.channel:channel",
    "create-user": "web.cli.users:create_user",
    "doctor": "web.cli.doctor:doctor",
    "import": "web.cli.imports:import_group",
    "inbound": "web.cli.inbound:inbound",
    "ingest": "web.cli.email:ingest_group",
    "mail-listener": "web.cli.email:mail_listener",
    "migrate": "web.cli.database:migrate",
    "outbox": "web.cli.outbox:outbox",
    "phone": "web.cli.phone:phone",
    "playbooks": "web.cli.playbooks:playbooks_group",
    "report": "web.cli.report:report_group",
    "restore": "web.cli.backup:restore",
    "seed-demo": "web.cli.database:seed_demo_command",
    "serve": "web.cli.serve:serve",
    "sla": "web.cli.sla:sla_group",
    "token": "web.cli.portal:token_group",
    "worker": "web.cli.serve:worker",
}


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """hub: one inbox for e-mail, WeChat, web chat, phone and API traffic.

    With no HUB_DATABASE_URL / HUB_REDIS_URL set, every command uses a private PostgreSQL and
    Redis under HUB_DATA_DIR (default ./var), started on demand and shared with a running
    `hub serve`.
    """
