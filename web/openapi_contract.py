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

import contextlib
from dataclasses import dataclass, field
from typing import Any

import msgspec.inspect as mi
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
CHANNEL_TRAFFIC = "/channels/"
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
        found |= {401, 403, 404, 413, 503}
    if (method, path) in THROTTLED:
        found.add(429)
    return found


def _structs(kind: Any, found: dict[str, type]) -> None:
    """Every msgspec Struct reachable from a request body type, by name (as components are named)."""
    info = mi.type_info(kind) if not isinstance(kind, mi.Type) else kind
    if isinstance(info, mi.StructType):
        if info.cls.__name__ in found:
            return
        found[info.cls.__name__] = info.cls
        for field in info.fields:
            _structs(field.type, found)
    elif isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
        _structs(info.item_type, found)
    elif isinstance(info, mi.DictType):
        _structs(info.value_type, found)
    elif isinstance(info, mi.UnionType):
        for member in info.types:
            _structs(member, found)
    elif isinstance(info, mi.Metadata):
        _structs(info.type, found)


@dataclass
class _Inputs:
    """What the routes say about their inputs, beyond what Litestar puts in the description."""

    #: (METHOD, path) of operations whose text may hold NUL (stripped or kept, not refused).
    nul_allowed: set[tuple[str, str]] = field(default_factory=set)
    #: Struct name -> refuses unknown fields.
    strict: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, routes: Any) -> _Inputs:
        inputs = cls()
        structs: dict[str, type] = {}
        for route in routes:
            if not isinstance(route, HTTPRoute):
                continue
            for handler in route.route_handlers:
                if handler.opt.get(NUL_OPT):
                    inputs.nul_allowed |= {(method, route.path_format) for method in handler.http_methods}
                data = handler.parsed_fn_signature.parameters.get("data")
                if data is not None:
                    with contextlib.suppress(TypeError, ValueError):
                        _structs(data.annotation, structs)
        inputs.strict = {
            name: bool(cls.__struct_config__.forbid_unknown_fields) for name, cls in structs.items()
        }
        return inputs


def _component(openapi: OpenAPI, ref: Any) -> tuple[str, Schema] | None:
    if not isinstance(ref, Reference):
        return None
    name = ref.ref.rsplit("/", 1)[-1]
    schemas = openapi.components.schemas if isinstance(openapi.components, Components) else None
    found = (schemas or {}).get(name)
    return (name, found) if isinstance(found, Schema) else None


def _tighten(openapi: OpenAPI, schema: Any, inputs: _Inputs, *, no_nul: bool, seen: set[str]) -> None:
    """State the input rules on a request body's schema and the schemas it refers to."""
    named = _component(openapi, schema)
    if named is not None:
        name, schema = named
        if name in seen:
            return
        seen.add(name)
        if inputs.strict.get(name) and schema.type == OpenAPIType.OBJECT:
            schema.additional_properties = False
    if not isinstance(schema, Schema):
        return
    if (
        no_nul
        and schema.type == OpenAPIType.STRING
        and not (schema.pattern or schema.format or schema.enum or schema.const)
    ):
        schema.pattern = NO_NUL
    for child in [
        *(schema.properties or {}).values(),
        *([schema.items] if schema.items is not None else []),
        *(schema.one_of or []),
        *(schema.any_of or []),
        *(schema.all_of or []),
    ]:
        _tighten(openapi, child, inputs, no_nul=no_nul, seen=seen)


def _tighten_inputs(openapi: OpenAPI, path: str, method: str, operation: Operation, inputs: _Inputs) -> None:
    no_nul = (method, path) not in inputs.nul_allowed
    for parameter in operation.parameters or []:
        if isinstance(parameter, Parameter) and parameter.param_in != "path" and parameter.schema is not None:
            _tighten(openapi, parameter.schema, inputs, no_nul=True, seen=set())
    body = operation.request_body
    if isinstance(body, RequestBody):
        for media in body.content.values():
            if media.schema is not None:
                _tighten(openapi, media.schema, inputs, no_nul=no_nul, seen=set())


def complete(openapi: OpenAPI, routes: Any = ()) -> OpenAPI:
    """Add the error answers to every operation of ``openapi`` (in place), and the problem schema;
    with the app's ``routes``, state the input rules too."""
    inputs = _Inputs.of(routes)
    components = openapi.components if isinstance(openapi.components, Components) else Components()
    components.schemas = {**(components.schemas or {}), PROBLEM_SCHEMA: _problem_schema()}
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
            for status, answer in responses.items():
                # No content means no body: Litestar describes a 204 with the handler's media type.
                if status == "204" and isinstance(answer, OpenAPIResponse):
                    answer.content = None
            operation.responses = responses
            if routes:
                _tighten_inputs(openapi, path, method.upper(), operation, inputs)
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
