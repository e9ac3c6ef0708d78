"""Reading a YAML file into plain data while keeping the line of every value.

PyYAML's composer gives each node its start mark; building the data from the node tree by hand
(mappings, sequences, scalars resolved by the safe loader's own constructor) keeps a map from each
value's path (``("steps", 2, "title", "zh-CN")``) to its 1-based line, so any problem found in the
data can be reported as ``file:line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class SourceError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Source:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def parse(text: str) -> Source:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SourceError(mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem}") from None
    except yaml.reader.ReaderError as exc:  # found by tests/fuzz: a control character in the file
        line = text.count("\n", 0, exc.position) + 1
        raise SourceError(line, f"not valid YAML: character U+{exc.character:04X} is not allowed") from None
    if node is None:
        raise SourceError(1, "the file is empty")
    source = Source(data=None)
    constructor = yaml.SafeLoader("")
    try:
        source.data = _build(node, (), source, constructor)
    except yaml.MarkedYAMLError as exc:  # found by tests/fuzz: a value no safe constructor reads
        mark = exc.problem_mark or exc.context_mark
        raise SourceError(mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem}") from None
    except (
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
    ) as exc:  # a date out of range, an unhashable key
        raise SourceError(max(source.lines.values(), default=1), f"not valid YAML: {exc}") from None
    return source


def _build(node: yaml.Node, path: Path, source: Source, constructor: yaml.SafeLoader) -> Any:
    source.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SourceError(key_node.start_mark.line + 1, "merge keys (<<) are not supported")
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise SourceError(
                    key_node.start_mark.line + 1,
                    f"key {key_node.value!r} is read as {key!r}: quote it (YAML takes on, yes, no as true or false)",
                )
            if key in result:
                raise SourceError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
            result[key] = _build(value_node, (*path, str(key)), source, constructor)
            # A block value starts on the line after its key; the key's line is the one to show.
            source.lines[(*path, str(key))] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, index), source, constructor) for index, item in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)


_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")


def msgspec_path(message: str) -> tuple[Path, str]:
    """The data path a msgspec validation message names, and the message without it.

    ``Expected `str`, got `int` - at `$.steps[0].id``` → ``("steps", 0, "id")``; an unknown field
    is reported at its parent, so the field's own name is appended.
    """
    text, _, where = message.partition(" - at `")
    path: list[str | int] = []
    for match in _SEGMENT.finditer(where.rstrip("`").removeprefix("$")):
        if match[1] is not None:
            path.append(match[1])
        elif match[2] is not None:
            path.append(int(match[2]))
    unknown = re.match(r"Object contains unknown field `([^`]+)`", text)
    if unknown:
        path.append(unknown[1])
    return tuple(path), text
