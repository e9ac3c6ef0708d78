"""The ERP sync over HTTP: one record by the ERP's key, or a batch under an Idempotency-Key.

Authenticated by an integration token of scope ``sync`` (``hub token create --name erp --scope
sync``) or an administrator's login. The rules are :mod:`hub.portal.sync`'s.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from hub.core import Hub
from hub.errors import InvalidInput, NotFound
from hub.portal import sync, sync_batch
from web.auth.guards import BEARER, sync_clients

BATCH_SUFFIX = ":batch"


class SyncOut(msgspec.Struct):
    id: uuid.UUID
    result: Literal["created", "updated", "unchanged"]


class BatchResult(msgspec.Struct, omit_defaults=True):
    index: int
    source: str
    external_ref: str
    #: What the single PUT would have answered for this item.
    status: int
    id: str | None = None
    result: str | None = None
    code: str | None = None
    detail: str | None = None


class BatchOut(msgspec.Struct):
    results: list[BatchResult]
    #: True when this answer is the saved one of an earlier request with the same key.
    replayed: bool


def _actor(request: Request) -> Any:
    return request.user.actor


class SyncController(Controller):
    path = "/api/v1/sync"
    security = BEARER
    tags = ["sync"]
    guards = [sync_clients]

    @put("/{entity:str}/{source:str}/{external_ref:str}")
    async def upsert(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        entity: FromPath[str],
        source: FromPath[str],
        external_ref: FromPath[str],
        data: JSONBody[dict[str, Any]],
        update_only: Annotated[
            bool, QueryParameter(description="404 instead of creating when nothing matches")
        ] = False,
    ) -> Response[SyncOut]:
        """Create or update one ``partners``, ``orders``, ``deliveries`` or ``quality_cases`` record by
        the ERP's key:
        201 created, 200 updated or unchanged; 409 stale or several matches; 404 with
        ``update_only`` when nothing matches."""
        outcome = await sync.upsert_one(
            hub, _actor(request), entity, source, external_ref, data, update_only=update_only
        )
        return Response(SyncOut(id=outcome.id, result=outcome.result), status_code=outcome.status_code)

    @post("/{batch:str}", status_code=200)
    async def batch(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        batch: FromPath[str],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> BatchOut:
        """``POST /api/v1/sync/{entity}:batch`` with ``{"items": [{"source", "external_ref", "data"}],
        "update_only"?}`` and an ``Idempotency-Key``: a replay answers the saved result, the same
        key with another body 422."""
        if not batch.endswith(BATCH_SUFFIX):
            raise NotFound(what="sync batch")
        if not idempotency_key:
            raise InvalidInput(detail="the Idempotency-Key header is required")
        found = await sync_batch.run_batch(
            hub, _actor(request), batch.removesuffix(BATCH_SUFFIX), idempotency_key, await request.body()
        )
        return msgspec.convert(found, BatchOut)
