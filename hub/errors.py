"""Domain errors. They carry a stable code and parameters; the web layer turns them into RFC 9457
problem details in the reader's language (see :mod:`hub.i18n`)."""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    code = "hub_error"

    def __init__(self, code: str | None = None, /, **params: Any) -> None:
        self.code = code or type(self).code
        self.params = params
        super().__init__(self.code, params)

    def __str__(self) -> str:
        from hub.i18n import translate

        return translate(self.code, "en", **self.params)


class NotFound(HubError):
    code = "not_found"


class Forbidden(HubError):
    code = "forbidden"


class InvalidInput(HubError):
    code = "invalid_input"


class Conflict(HubError):
    code = "conflict"


class InvalidTransition(HubError):
    code = "invalid_transition"


class IngestFailed(HubError):
    """Processing a stored inbound payload failed; the raw row is marked failed and can be retried.

    ``detail`` is fit for the sender; ``error`` is the full cause, for operators only.
    """

    code = "ingest_failed"


class DeliveryError(Exception):
    """Raised by channel senders. ``transient`` errors are retried with backoff; others fail the message.

    ``code`` (a catalogue code of :mod:`hub.i18n`, with ``params``) lets the agent read the failure in
    their language, and tells the hub what the channel now knows: ``delivery_window_closed`` and
    ``delivery_quota_exhausted`` close the contact's reply window, ``delivery_recipient_left``
    marks their address as gone.
    """

    def __init__(
        self, reason: str, *, transient: bool, code: str | None = None, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.code = code
        self.params = params or {}


class RetryLater(Exception):
    """A job asks to run again after ``defer_seconds`` (the worker maps this to its queue's retry)."""

    def __init__(self, defer_seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.defer_seconds = defer_seconds
        self.reason = reason
