"""Connectors: each turns one channel's traffic into :class:`hub.InboundMessage` and sends replies."""
