"""The API description says every answer the server can give, not only the happy one.

Litestar describes what a handler returns and a generic 400; every error here leaves as RFC 9457
problem details (:mod:`web.errors`) with statuses the framework cannot see: 401 and 403 from the
auth middleware and role guards, 404 from a path id nobody may see, 409 from a state conflict,
413 from the edge's body limit, 422 from the checks on input, 429 from throttling. Which of them
an operation can answer follows from its shape (a login needed, a path id, a body, a change), so
they are added here once, for every operation, rather than repeated on each handler.
"""

from __future__ import annotations

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin  # not exported; see CompletingOpenAPIPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType

from web.errors import PROBLEM

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


def complete(openapi: OpenAPI) -> OpenAPI:
    """Add the error answers to every operation of ``openapi`` (in place), and the problem schema."""
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
    return openapi


class CompletingOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's own plugin, completing the description whenever it builds it (lazily, on the
    first request for the schema, then cached: building takes a quarter of a second, so apps that
    never serve it, most test apps, pay nothing). Litestar adds its plugin itself and exports no
    hook for this, hence the subclass."""

    __slots__ = ()

    def _build_openapi(self) -> OpenAPI:
        return complete(super()._build_openapi())


def install(app: Litestar) -> None:
    app.plugins.get(OpenAPIPlugin).__class__ = CompletingOpenAPIPlugin
