"""Playbook files, fuzzed: whatever a company puts in ``HUB_PLAYBOOKS_DIR``, the loader reports it
as problems with a line (``hub playbooks validate`` prints them) or loads it; it never raises, so
one broken file cannot stop the others or the hub from starting."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from playbooks.validate import Loaded, load_text
from tests.fuzz.budget import fuzz

LIBRARY = Path(__file__).resolve().parents[2] / "playbooks" / "library"
FILES = sorted(LIBRARY.glob("*.yaml"))
SHIPPED = [path.read_text(encoding="utf-8") for path in FILES]
PIECES = [
    "\n", ": ", "- ", "  ", "{{", "}}", "{% ", " %}", "&a", "*a", "!!python/object:os.system", "---\n",
    "'", '"', "\t", "[", "]", "{", "}", "#", "|", ">", "~", "null", "3bd", "0bm", "::", "\u0000", "\ufeff",
]  # fmt: skip


def _read(text: str, path: Path = Path("company/fuzzed.yaml")) -> Loaded:
    loaded = load_text(text, path)
    for problem in loaded.problems:
        assert problem.line >= 1 and problem.message
    assert loaded.problems or loaded.playbook or loaded.snippets or loaded.autoreply
    return loaded


@st.composite
def damaged(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SHIPPED))
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["insert", "cut", "swap-lines", "truncate"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
        elif action == "cut":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=40)) :]
        elif action == "swap-lines":
            lines = text.split("\n")
            i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:
            text = text[:at]
    return text


def test_the_shipped_library_loads_without_problems() -> None:
    assert FILES
    for path in FILES:
        assert _read(path.read_text(encoding="utf-8"), path).problems == []


@fuzz
@given(damaged())
def test_a_damaged_library_file_loads_or_says_where_it_is_wrong(text: str) -> None:
    _read(text)


#: Inputs that once crashed the loader (found by these tests), tried first on every run.
CRASHED = [
    "\x1f",  # a control character: PyYAML's reader refuses it before any mark exists
    "=",  # YAML's value tag, which no safe constructor reads
    (LIBRARY / "complaint.yaml")
    .read_text(encoding="utf-8")
    .replace("{{", '{{ "a" * "b" }}{{', 1),  # Jinja folds it
]


@fuzz
@given(st.text(max_size=400))
@example(CRASHED[0])
@example(CRASHED[1])
@example(CRASHED[2])
def test_any_text_loads_or_says_where_it_is_wrong(text: str) -> None:
    _read(text)
