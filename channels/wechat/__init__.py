"""The WeChat Official Account (微信公众号) channel.

Inbound: WeChat POSTs signed (optionally AES-encrypted) XML to ``/channels/wechat/{channel_id}``
(:mod:`.webhook`); :mod:`.callback` verifies and opens it with wechatpy, :mod:`.inbound` turns it
into one :class:`hub.intake.inbound.InboundMessage`, :mod:`.replies` renders the passive answer.
Outbound: :mod:`.sender` sends agent replies as customer-service or template messages through
:mod:`.api`, an async httpx client with hard timeouts and one shared access token per app
(:mod:`.tokens`). :mod:`.jobs` holds the background work: media downloads and profile fetches.
"""
