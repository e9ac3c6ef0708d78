"""``hub create-user``: accounts that can log in."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Any

import click

from hub.domain import Role
from web.cli import common

if TYPE_CHECKING:
    import uuid


@click.command("create-user")
@click.option("--email", required=True, help="Login e-mail.")
@click.option("--name", default="", help="Display name.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.AGENT.value,
    show_default=True,
    help="Role.",
)
@click.option("--password", default=None, help="Password (prompted when omitted; at least 8 characters).")
@click.option("--team", "team_id", type=click.UUID, default=None, help="Team id.")
@click.option(
    "--organization",
    "organization_id",
    type=click.UUID,
    default=None,
    help="Organization id (partner users).",
)
@click.option("--locale", type=click.Choice(["zh-CN", "en"]), default="zh-CN", show_default=True)
def create_user(
    email: str,
    name: str,
    role: str,
    password: str | None,
    team_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    locale: str,
) -> None:
    """Create a user who can log in."""
    from hub.accounts import accounts
    from hub.actors import CLI

    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("--password is required when not on a terminal")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            raise click.ClickException("the passwords differ")

    async def work(runtime: Any) -> Any:
        return await accounts.create_user(
            runtime.hub,
            CLI,
            accounts.NewUser(
                email=email,
                name=name,
                role=Role(role),
                password=password,
                team_id=team_id,
                organization_id=organization_id,
                locale=locale,
            ),
        )

    user = common.run(work)
    click.echo(f"created {user.role.value} {user.email} ({user.id})")
