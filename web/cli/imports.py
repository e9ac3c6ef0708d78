"""``hub import``: records that arrive as files, each kind's command in its own module."""

from __future__ import annotations

import click

from web.cli.lazy import LazyGroup


@click.group(
    "import",
    cls=LazyGroup,
    lazy_commands={
        "history": "web.cli.report:import_history",
        "partners": "web.cli.portal:import_partners",
    },
)
def import_group() -> None:
    """Bring records in from files: another helpdesk's history, the ERP's partners and orders."""
