"""``hub playbooks``: check playbook files and list the loaded library. Neither needs the servers."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("playbooks")
def playbooks_group() -> None:
    """Playbooks: the script handbook per scenario (the shipped library and HUB_PLAYBOOKS_DIR)."""


@playbooks_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check playbook and snippet files (default: the shipped library and HUB_PLAYBOOKS_DIR).

    Prints file:line: message for each problem and exits with status 1 if there is any.
    """
    from playbooks.catalogue import folders
    from playbooks.validate import validate_paths

    loaded, problems = validate_paths(list(paths) or folders())
    for problem in problems:
        click.echo(str(problem))
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"{len(loaded)} files, no problems", err=True)


@playbooks_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_playbooks(as_json: bool) -> None:
    """Id, version, scenario and title in both languages of every loaded playbook."""
    from playbooks.catalogue import Catalogue

    catalogue = Catalogue()
    rows = sorted(catalogue.listing(), key=lambda row: row.playbook_id)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": row.playbook_id,
                        "version": row.version,
                        "digest": row.digest,
                        "scenario": row.scenario,
                        "title": row.title,
                        "source": row.source,
                        "problems": list(row.problems),
                    }
                    for row in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for row in rows:
        state = f"  [{len(row.problems)} problems]" if row.problems else ""
        click.echo(
            f"{row.playbook_id}  v{row.version}  {row.scenario}  {row.title.get('zh-CN', '')} / "
            f"{row.title.get('en', '')}{state}"
        )
