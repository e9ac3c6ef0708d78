"""Code and docs name only documents that are in the repository, so a reader can follow every reference."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *(
        path
        for folder in ("hub", "channels", "web", "bench", "tests")
        for path in ROOT.glob(f"{folder}/**/*.py")
    ),
    *ROOT.glob("*.md"),
    *ROOT.glob("docs/**/*.md"),
    ROOT / "pyproject.toml",
]
SOURCES.remove(Path(__file__).resolve())  # its own examples are made up
#: A Markdown file's name as prose cites it, bare or with its folder.
MARKDOWN_NAME = re.compile(r"(?<![\w/.-])([\w][\w./-]*\.md)\b")


def _missing(path: Path) -> list[str]:
    names = MARKDOWN_NAME.findall(path.read_text())
    return [name for name in names if not (ROOT / name).is_file() and not (path.parent / name).is_file()]


def test_every_markdown_document_named_is_in_the_repository() -> None:
    missing = {f"{path.relative_to(ROOT)}: {name}" for path in SOURCES for name in _missing(path)}
    assert not missing, "explain it in place, or point at a document in the repository"


def test_a_document_outside_the_repository_is_noticed(tmp_path: Path) -> None:
    """Guards the test above: its pattern finds names in prose, and only the absent ones."""
    cited = tmp_path / "cited.py"
    cited.write_text('"""Layers as drawn in notes/layers.md §2; configuration in README.md."""\n')
    assert _missing(cited) == ["notes/layers.md"]
