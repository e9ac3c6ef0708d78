"""The API description says every answer the server can give and every input it refuses.

Litestar describes what a handler returns and a generic 400; every error here leaves as RFC 9457
problem details (:mod:`web.errors`) with statuses the framework cannot see: 401 and 403 from the
auth middleware and role guards, 404 from a path id nobody may see, 409 from a state conflict,
413 from the edge's body limit, 422 from the checks on input, 429 from throttling. Which of them
an operation can answer follows from its shape (a login needed, a path id, a body, a change), so
they are added here once, for every operation, rather than repeated on each handler.

Two input rules hold for every request and are stated here too: the edge refuses the NUL
character in any text (except on the routes that strip or keep it: agents' replies, channels'
payloads), and a body type that refuses unknown fields says so (``additionalProperties: false``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin  # not exported; see CompletingOpenAPIPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute

from web.edge import NUL_OPT
from web.errors import PROBLEM

#: Text without the NUL character, for strings that state no pattern of their own.
NO_NUL = "^[^\\u0000]*$"

PROBLEM_SCHEMA = "Problem"
#: Operations that throttle their callers (login attempts per address and account).
THROTTLED = {("POST", "/api/v1/auth/login")}
_WHY = {
    400: "The request cannot be read (malformed JSON, a wrong type).",
    401: "No valid login: send `Authorization: Bearer <token>` (or the session cookie).",
    403: "Logged in, but this role may not do this.",
    404: "Nothing with this id that the caller may see.",
    409: "The change conflicts with the current state (a name taken, a closed reply window, a step open).",
    413: "The body is larger than the server accepts.",
    422: "The input is readable but not acceptable; `errors` or `detail` names the field.",
    429: "Too many attempts; `Retry-After` says when to try again.",
    503: "Not stored in time; the channel's sender should retry (as WeChat does).",
}
#: Where a channel's own traffic arrives: those routes speak the channel's protocol, so their
#: refusals may be plain text (WeChat reads "forbidden", not JSON).
CHANNEL_TRAFFIC = ("/channels/", "/widget/v1/")
_CHANGES = {"POST", "PUT", "PATCH", "DELETE"}


def _problem_schema() -> Schema:
    text, integer = Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.INTEGER)
    return Schema(
        type=OpenAPIType.OBJECT,
        description="RFC 9457 problem details, in the language of `Accept-Language` (zh-CN or en).",
        required=["type", "title", "status", "detail", "code"],
        properties={
            "type": text,
            "title": text,
            "status": integer,
            "detail": text,
            "code": Schema(type=OpenAPIType.STRING, description="Stable machine-readable code."),
            "instance": text,
            "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
        },
    )


def _answer(status: int, *, plain_too: bool) -> OpenAPIResponse:
    content = {PROBLEM: OpenAPIMediaType(schema=Reference(ref=f"#/components/schemas/{PROBLEM_SCHEMA}"))}
    if plain_too:
        content["text/plain"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
    return OpenAPIResponse(description=_WHY[status], content=content)


def statuses_of(method: str, path: str, operation: Operation) -> set[int]:
    """The error statuses an operation of this shape can answer."""
    found = {400}
    if operation.security:
        found |= {401, 403}
    if "{" in path:
        found.add(404)
    if operation.parameters or operation.request_body is not None:
        found.add(422)
    if operation.request_body is not None:
        found.add(413)
    if method in _CHANGES:
        found |= {409, 422}
        if operation.request_body is not None:
            found.add(404)  # an id in the body (a team, a user) that the caller may not see
        if not operation.security:
            found |= {401, 403}  # the credentials are in the request itself (a login, a channel token)
    if path.startswith(CHANNEL_TRAFFIC):
        found |= {401, 403, 404, 413, 429, 503}
    if (method, path) in THROTTLED:
        found.add(429)
    return found


@dataclass
class _Bodies:
    """The request bodies as the server decodes them: msgspec's own JSON Schema of each body type
    (every constraint, ``additionalProperties: false`` where unknown fields are refused, fields
    that may be left out not required), which Litestar's generator partly loses (constraints
    inside lists and unions)."""

    #: (METHOD, path) -> the body's schema (a ``$ref`` into the components, usually).
    by_operation: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    components: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, routes: Any) -> _Bodies:
        typed: list[tuple[tuple[str, str], Any, bool]] = []
        for route in routes:
            if not isinstance(route, HTTPRoute):
                continue
            for handler in route.route_handlers:
                data = handler.parsed_fn_signature.parameters.get("data")
                if data is None:
                    continue
                nul_refused = not handler.opt.get(NUL_OPT)
                typed += [
                    ((method, route.path_format), data.annotation, nul_refused)
                    for method in handler.http_methods
                ]
        if not typed:
            return cls()
        schemas, components = msgspec.json.schema_components(
            [kind for _, kind, _ in typed], ref_template=f"{_COMPONENTS}{{name}}"
        )
        bodies = cls(components=components)
        nul_allowed: set[str] = set()
        for (key, _, nul_refused), schema in zip(typed, schemas, strict=True):
            bodies.by_operation[key] = schema
            if not nul_refused:
                nul_allowed |= bodies._names(schema)
        # Text without NUL, for strings that state no pattern of their own, in every body type only
        # used where the edge refuses NUL (agents' replies strip it, channels' payloads keep it).
        for name, component in components.items():
            if name not in nul_allowed:
                _no_nul(component)
        for key, schema in bodies.by_operation.items():
            if key not in {k for k, _, refused in typed if not refused}:
                _no_nul(schema)
        return bodies

    def _names(self, schema: Any, found: set[str] | None = None) -> set[str]:
        """The components ``schema`` refers to, directly or through others."""
        found = set() if found is None else found
        if isinstance(schema, dict):
            ref = schema.get("$ref")
            if isinstance(ref, str) and ref.startswith(_COMPONENTS):
                name = ref[len(_COMPONENTS) :]
                if name not in found:
                    found.add(name)
                    self._names(self.components.get(name), found)
            for value in schema.values():
                self._names(value, found)
        elif isinstance(schema, list):
            for value in schema:
                self._names(value, found)
        return found


_COMPONENTS = "#/components/schemas/"


def _no_nul(schema: Any) -> None:
    if isinstance(schema, dict):
        if schema.get("type") == "string" and not ({"pattern", "format", "enum", "const"} & schema.keys()):
            schema["pattern"] = NO_NUL
        for key, value in schema.items():
            if key != "$ref":
                _no_nul(value)
    elif isinstance(schema, list):
        for value in schema:
            _no_nul(value)


def _kinds_own_answers(responses: dict[str, Any]) -> None:
    """A channel route that declares no answer type answers in its kind's own protocol (WeChat's
    XML or text, a file, the widget's JSON): Litestar would describe it as a JSON string."""
    for status, answer in responses.items():
        if not (status.startswith("2") and isinstance(answer, OpenAPIResponse) and answer.content):
            continue
        media = answer.content.get("application/json")
        if media is not None and isinstance(media.schema, Schema) and media.schema.type == OpenAPIType.STRING:
            answer.content = {"*/*": OpenAPIMediaType(schema=Schema(description="The kind's own answer."))}


def _tighten_parameters(operation: Operation) -> None:
    """Query and header text refuses NUL too (the edge checks the whole query string)."""
    for parameter in operation.parameters or []:
        if isinstance(parameter, Parameter) and parameter.param_in != "path" and parameter.schema is not None:
            _no_nul_parameter(parameter.schema)


def _no_nul_parameter(schema: Any) -> None:
    if isinstance(schema, Schema):
        if schema.type == OpenAPIType.STRING and not (
            schema.pattern or schema.format or schema.enum or schema.const
        ):
            schema.pattern = NO_NUL
        for child in [
            *(schema.one_of or []),
            *(schema.any_of or []),
            *([schema.items] if schema.items else []),
        ]:
            _no_nul_parameter(child)


def complete(openapi: OpenAPI, routes: Any = ()) -> OpenAPI:
    """Add the error answers to every operation of ``openapi`` (in place), and the problem schema;
    with the app's ``routes``, describe the request bodies as the server decodes them."""
    bodies = _Bodies.of(routes)
    components = openapi.components if isinstance(openapi.components, Components) else Components()
    components.schemas = {
        **(components.schemas or {}),
        **bodies.components,
        PROBLEM_SCHEMA: _problem_schema(),
    }  # type: ignore[dict-item]
    openapi.components = components
    for path, item in (openapi.paths or {}).items():
        for method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
            operation = getattr(item, method, None)
            if not isinstance(operation, Operation):
                continue
            responses = dict(operation.responses or {})
            for status in statuses_of(method.upper(), path, operation):
                existing = responses.get(str(status))
                if existing is None or (isinstance(existing, OpenAPIResponse) and status == 400):
                    responses[str(status)] = _answer(status, plain_too=path.startswith(CHANNEL_TRAFFIC))
            if method == "options":
                # A CORS preflight (the web-chat widget's routes) is answered 204 with its headers.
                responses.setdefault("204", OpenAPIResponse(description="The methods and headers allowed."))
            for status, answer in responses.items():
                # No content means no body: Litestar describes a 204 with the handler's media type.
                if status == "204" and isinstance(answer, OpenAPIResponse):
                    answer.content = None
            if path.startswith(CHANNEL_TRAFFIC):
                _kinds_own_answers(responses)
            operation.responses = responses
            _tighten_parameters(operation)
            body = bodies.by_operation.get((method.upper(), path))
            if body is not None and isinstance(operation.request_body, RequestBody):
                for media in operation.request_body.content.values():
                    media.schema = body  # type: ignore[assignment]
    return openapi


class CompletingOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's own plugin, completing the description whenever it builds it (lazily, on the
    first request for the schema, then cached: building takes a quarter of a second, so apps that
    never serve it, most test apps, pay nothing). Litestar adds its plugin itself and exports no
    hook for this, hence the subclass."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        return complete(super()._build_openapi(), self.app.routes)


def install(app: Litestar) -> None:
    app.plugins.get(OpenAPIPlugin).__class__ = CompletingOpenAPIPlugin
