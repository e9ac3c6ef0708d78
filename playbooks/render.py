"""Reply templates: sandboxed Jinja with strict variables.

A template may read only what it declares (the ticket's facts in :data:`CONTEXT`, the playbook's
form ``fields.<key>`` and its own ``ask`` keys), checked when the file loads. At send time a value
that is missing blocks the reply with the variable named: a client never gets an empty hole or a
"-" in place of their order number.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

#: The ticket's facts every template may use, with the longest value they plausibly take (the load
#: check renders each template with these to hold it to its channel's length limit).
CONTEXT: dict[str, str] = {
    "contact.display_name": "欧阳" * 16,
    "agent.display_name": "欧阳" * 16,
    "ticket.number": "9999999999",
    "ticket.subject": "主" * 200,
    "organization.name": "组" * 100,
    "sla.resolution_due_local": "2026-12-31 23:59",
    "sla.first_response_due_local": "2026-12-31 23:59",
}
#: The longest value an agent's ``ask`` answer or a form field is assumed to have at load time.
ASK_SAMPLE = "答" * 80
FIELD_SAMPLE = "F" * 40

#: Characters a message may have on each channel (WeChat customer-service text is limited to
#: 2048 bytes of UTF-8, about 680 Chinese characters; a phone script is read aloud in a minute).
CHANNEL_LIMITS = {"email": 25_000, "webchat": 10_000, "wechat": 680, "wechat_template": 200, "phone": 600}


class RenderError(Exception):
    """A template could not be filled; ``variable`` names the missing value when that was why."""

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


@cache
def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def variables(source: str) -> dict[str, bool]:
    """Every variable the template reads, as dotted paths (``contact.display_name``, ``quote``),
    each with whether it is optional (read through ``| default(...)``).

    ``jinja2.meta.find_undeclared_variables`` gives only top-level names; this walks the tree so
    ``fields.order_no`` is checked against the form's fields. A template that does not parse, or
    reaches for an underscored attribute (``''.__class__``, the sandbox's escape routes), raises
    :class:`RenderError`.
    """
    try:
        tree = environment().parse(source)
    except TemplateError as exc:
        raise RenderError(f"the template does not parse: {exc.message}") from None
    except RecursionError:
        raise RenderError("the template does not parse: it nests too deeply") from None
    found: dict[str, bool] = {}
    for path, optional in _paths(tree, optional=False):
        found[path] = found.get(path, True) and optional
    return found


def _paths(node: nodes.Node, *, optional: bool) -> Iterator[tuple[str, bool]]:
    if isinstance(node, nodes.Getattr):
        if node.attr.startswith("_"):
            raise RenderError(f"the template is not allowed: attribute {node.attr} is unsafe")
        dotted = _dotted(node)
        if dotted is not None:
            yield dotted, optional
            return
    elif isinstance(node, nodes.Name) and node.ctx == "load":
        yield node.name, optional
        return
    elif isinstance(node, nodes.Filter) and node.name == "default" and node.node is not None:
        yield from _paths(node.node, optional=True)
        for argument in node.args:
            yield from _paths(argument, optional=optional)
        return
    for child in node.iter_child_nodes():
        yield from _paths(child, optional=optional)


def _dotted(node: nodes.Node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        base = _dotted(node.node)
        return None if base is None else f"{base}.{node.attr}"
    return None


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"contact.display_name": "王"}`` → ``{"contact": {"display_name": "王"}}``."""
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        *parents, last = dotted.split(".")
        target = nested
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    return nested


def render(source: str, values: Mapping[str, Any]) -> str:
    """The template filled from dotted ``values``; a missing one raises :class:`RenderError` naming it."""
    needed = variables(source)
    missing = sorted(name for name, optional in needed.items() if not optional and _blank(values.get(name)))
    if missing:
        raise RenderError(f"no value for {', '.join(missing)}", variable=missing[0])
    try:
        return environment().from_string(source).render(nest(values)).strip()
    except UndefinedError as exc:
        raise RenderError(f"no value for a variable: {exc.message}") from None
    except SecurityError as exc:
        raise RenderError(f"the template is not allowed: {exc}") from None
    except TemplateError as exc:
        raise RenderError(f"the template failed: {exc}") from None
    except (ArithmeticError, TypeError, ValueError, RecursionError) as exc:
        # Found by tests/fuzz: Jinja folds constants while compiling ({{ "a" * "b" }}), so a
        # template can fail with Python's own errors before it renders.
        raise RenderError(f"the template failed: {type(exc).__name__}: {exc}") from None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
