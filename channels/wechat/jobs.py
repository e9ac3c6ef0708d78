"""Background work after a push is processed: fetch its media, fetch the sender's profile.

Both run in the worker (never in the 5-second callback), through :class:`WeChatApi` with its
timeouts and shared token. The worker (which runs the jobs :mod:`channels.wechat.spec` declares) turns :class:`RetryLater` into
a retry with backoff; the media job gives up after :data:`MEDIA_TRIES` and the failure shows on the
message.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from channels.wechat.api import Unreachable, WeChatApi, WeChatApiError
from channels.wechat.config import ConfigProblem, WeChatConfig
from channels.wechat.spec import MEDIA_JOB, MEDIA_TRIES, PROFILE_JOB
from channels.wechat.tokens import TokenUnavailable
from hub.contacts import contacts
from hub.core import Hub
from hub.domain import ChannelKind
from hub.errors import RetryLater
from hub.intake import channel_instances, media
from hub.intake.inbound import InboundMessage, IngestResult
from hub.ports import JobRequest

log = logging.getLogger(__name__)

#: A profile fetched this recently is not fetched again for the next message.
PROFILE_FRESH_SECONDS = 24 * 3600
#: WeChat no longer answers nickname and avatar for most accounts, but does for some; kept as given.
PROFILE_FIELDS = (
    "nickname",
    "headimgurl",
    "unionid",
    "subscribe",
    "subscribe_time",
    "subscribe_scene",
    "qr_scene",
    "qr_scene_str",
    "remark",
    "language",
)


def media_backoff(attempt: int) -> float:
    """15 s, 30 s, 60 s, 120 s: temporary media stays downloadable for days, so patience is free."""
    return float(15 * 2 ** max(attempt - 1, 0))


async def follow_ups(hub: Hub, processed: list[tuple[InboundMessage, IngestResult]]) -> list[JobRequest]:
    """Jobs freshly processed pushes need: their media, and each sender's profile when not fresh.

    One profile lookup for the whole batch, and one profile job per sender however many of their
    pushes it holds (the job id would refuse the rest anyway, at a Redis round trip each).
    """
    jobs: list[JobRequest] = []
    senders: dict[str, uuid.UUID] = {}
    for message, result in processed:
        if result.message_id is not None and message.meta.get("media", {}).get("state") == "pending":
            jobs.append(
                JobRequest(MEDIA_JOB, (str(result.message_id),), job_id=f"{MEDIA_JOB}:{result.message_id}")
            )
        if message.sender_status != "left":
            senders.setdefault(message.sender.identity, message.channel_id)
    profiles = await contacts.identity_profiles(hub, ChannelKind.WECHAT, list(senders))
    for identity, channel_id in senders.items():
        profile = profiles.get(identity)
        if (
            profile is not None
            and time.time() - float(profile.get("fetched_at") or 0) > PROFILE_FRESH_SECONDS
        ):
            jobs.append(
                JobRequest(PROFILE_JOB, (str(channel_id), identity), job_id=f"{PROFILE_JOB}:{identity}")
            )
    return jobs


async def download_media(hub: Hub, api: WeChatApi, message_id: uuid.UUID, *, attempt: int) -> str:
    """``done``, ``failed`` (given up, shown on the message) or ``skipped``; RetryLater in between."""
    target = await media.target(hub, message_id)
    if target is None:
        return "skipped"
    media_id = str(target.media.get("media_id") or "")
    try:
        config = WeChatConfig.load(hub.settings.secret_key, target.channel_id, target.channel_config)
        fetched = await api.media(config, media_id, kind=str(target.media.get("kind") or ""))
    except WeChatApiError as exc:
        # 40007: the media id is unknown or expired (temporary media lives about three days).
        transient = exc.errcode in (-1, 45009, 45011)
        return await _failed(hub, message_id, f"WeChat {exc.errcode}: {exc.errmsg}", attempt, transient)
    except (Unreachable, TokenUnavailable) as exc:
        return await _failed(hub, message_id, f"WeChat API: {exc}", attempt, transient=True)
    except ConfigProblem as exc:
        return await _failed(hub, message_id, str(exc), attempt, transient=False)
    await media.attach(
        hub,
        message_id,
        filename=fetched.filename,
        content_type=fetched.content_type,
        data=fetched.data,
        attempts=attempt,
    )
    return "done"


async def _failed(hub: Hub, message_id: uuid.UUID, detail: str, attempt: int, transient: bool) -> str:
    final = not transient or attempt >= MEDIA_TRIES
    await media.fail(hub, message_id, code="media_failed", detail=detail, attempts=attempt, final=final)
    if final:
        return "failed"
    raise RetryLater(media_backoff(attempt), detail)


#: Channels whose settings this process has already said it cannot fetch profiles with.
_UNFETCHABLE: set[uuid.UUID] = set()


def _not_fetched(channel_id: uuid.UUID, identity: str, problem: ConfigProblem) -> None:
    """Say it once per channel and process: the cause is the channel's, not the follower's, and
    every follower's message would repeat it (``make demo`` has no AppSecret: a line per seeded
    follower in the demo's terminal)."""
    if channel_id in _UNFETCHABLE:
        log.debug("the WeChat profile of %s is not fetched: %s", identity, problem)
        return
    _UNFETCHABLE.add(channel_id)
    log.warning(
        "WeChat profiles on channel %s are not fetched (first: %s): %s", channel_id, identity, problem
    )


async def refresh_profile(
    hub: Hub, api: WeChatApi, channel_id: uuid.UUID, identity: str, *, last_try: bool = False
) -> bool:
    """user/info for one follower: profile kept on the identity, unionid joins their other accounts.

    A failed fetch is tried again later, then given up on ``last_try``: the follower's next message
    asks again, and a profile is never worth a failing job."""
    channel = await channel_instances.get_channel(hub, channel_id)
    if channel is None or channel.kind is not ChannelKind.WECHAT:
        return False
    try:
        config = WeChatConfig.load(hub.settings.secret_key, channel.id, channel.config)
    except ConfigProblem as exc:
        # Retrying cannot mend a channel's settings; the sender's next message asks again.
        _not_fetched(channel.id, identity, exc)
        return False
    openid = config.openid(identity)
    if openid is None:
        return False
    try:
        info = await api.user_info(config, openid)
    except ConfigProblem as exc:  # no AppSecret in this process's environment: waiting cannot help
        _not_fetched(channel.id, identity, exc)
        return False
    except (WeChatApiError, Unreachable, TokenUnavailable) as exc:
        if last_try:
            log.warning("giving up on the WeChat profile of %s: user/info: %s", identity, exc)
            return False
        raise RetryLater(300, f"user/info for {identity}: {exc}") from exc
    profile = {key: info[key] for key in PROFILE_FIELDS if info.get(key) not in (None, "")}
    profile["fetched_at"] = time.time()
    known = await contacts.identity_profile(hub, ChannelKind.WECHAT, identity) or {}
    profile.update(await _avatar(hub, api, identity, str(info.get("headimgurl") or ""), known))
    unionid = str(info.get("unionid") or "")
    name = str(info.get("nickname") or info.get("remark") or "") or None
    await contacts.update_identity(
        hub,
        ChannelKind.WECHAT,
        identity,
        profile=profile,
        name=name,
        aliases=(f"unionid:{unionid}",) if unionid else (),
    )
    return True


async def _avatar(hub: Hub, api: WeChatApi, identity: str, url: str, known: dict[str, Any]) -> dict[str, Any]:
    """The picture behind ``headimgurl``, kept in our attachment store: profile fields to merge.

    Pages show it from our own origin (their CSP admits no other image host, and WeChat's CDN
    refuses hot-linking from other sites). Fetched again only when the URL changes; a failed fetch
    keeps the picture we had, notes why (tried again with the next profile fetch), and never fails
    the profile it came with.
    """
    if not url or (known.get("avatar") or {}).get("url") == url:
        return {}
    try:
        picture = await api.avatar(url)
    except Unreachable as exc:
        log.warning("avatar of %s not fetched: %s", identity, exc)
        return {"avatar_error": str(exc)}
    digest = hub.storage.put(picture.data)
    avatar = {"sha256": digest, "content_type": picture.content_type, "url": url}
    return {"avatar": avatar, "avatar_error": None}
