"""Batches of ERP upserts under an ``Idempotency-Key`` (Stripe's rules).

The first answer for a key is saved with the body's digest: a replay (a timeout, a retried job)
gets that answer again and writes nothing; the same key with another body is refused (422), since
the caller has mixed up two requests. Keys are kept two days, so a retry within a day always finds
its key. Each item runs in a savepoint: one item's refusal (stale, several matches, a bad body)
is its own result and the others land.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa

from hub.actors import Actor
from hub.commands import Command
from hub.core import Hub
from hub.errors import Conflict, Forbidden, HubError, InvalidInput, NotFound
from hub.i18n import translate
from hub.models import SyncIdempotency
from hub.portal import sync

#: Keys are answered again for at least a day (Stripe keeps them 24 h); older ones are pruned.
KEEP = timedelta(hours=48)
MAX_ITEMS = 500
MAX_KEY = 200
#: An item's status: what the single PUT answers for the same refusal.
STATUS: dict[type[HubError], int] = {NotFound: 404, Forbidden: 403, InvalidInput: 422, Conflict: 409}


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"


class BatchItem(Command, frozen=True, forbid_unknown_fields=True):
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    external_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    #: The same body the single ``PUT`` takes.
    data: dict[str, Any]


class Batch(Command, frozen=True, forbid_unknown_fields=True):
    items: Annotated[list[BatchItem], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]
    update_only: bool = False


def _error(exc: HubError) -> dict[str, Any]:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    found = {"status": status, "code": exc.code, "detail": translate(exc.code, "en", **exc.params)}
    found.update(getattr(exc, "extra", {}) or {})
    return found


async def run_batch(hub: Hub, actor: Actor, entity_name: str, key: str, raw: bytes) -> dict[str, Any]:
    """The batch's answer: ``{"results": [...]}``, one per item in order, each with its status."""
    sync.require_sync(actor)
    entity = sync.entity_named(entity_name)
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise InvalidInput(detail=f"the Idempotency-Key header needs 1 to {MAX_KEY} characters")
    try:
        batch = msgspec.json.decode(raw, type=Batch)
    except msgspec.ValidationError as exc:
        raise InvalidInput(detail=str(exc)) from None
    except msgspec.DecodeError:
        raise InvalidInput(detail="the body is not JSON") from None
    body_digest = hashlib.sha256(msgspec.json.encode(msgspec.to_builtins(batch), order="sorted")).hexdigest()
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        await session.execute(sa.delete(SyncIdempotency).where(SyncIdempotency.created_at < now - KEEP))
        saved = await session.scalar(
            sa.select(SyncIdempotency).where(
                SyncIdempotency.entity == entity.name, SyncIdempotency.key == key
            )
        )
        if saved is not None:
            await uow.commit()
            if saved.digest != body_digest:
                raise IdempotencyKeyReused()
            return {**saved.response, "replayed": True}
        results: list[dict[str, Any]] = []
        for index, item in enumerate(batch.items):
            reported: dict[str, Any] = {
                "index": index,
                "source": item.source,
                "external_ref": item.external_ref,
            }
            try:
                async with uow.savepoint():
                    body = sync.decode(entity, item.data)
                    outcome = await sync.upsert(
                        uow,
                        actor,
                        entity,
                        item.source,
                        item.external_ref,
                        body,
                        update_only=batch.update_only,
                    )
                reported.update(status=outcome.status_code, id=str(outcome.id), result=outcome.result)
            except HubError as exc:
                reported.update(_error(exc))
            results.append(reported)
        response = {"results": results}
        session.add(
            SyncIdempotency(
                id=uuid.uuid4(),
                entity=entity.name,
                key=key,
                digest=body_digest,
                status_code=200,
                response=response,
                created_at=now,
            )
        )
        await session.flush()
        await uow.commit()
        return {**response, "replayed": False}
