"""What every delivery channel looks like, and the registry the outbox sends through."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one send. ``note`` says what happened when ``ok`` is not the whole story
    (a recording channel says it did not really send)."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    note: str | None = None


class Channel(Protocol):
    """Sends one outbox message. Must not raise for a delivery failure: return ``ok=False`` with the
    reason, so the outbox can log it and schedule a retry (an exception is logged the same way).

    ``secret`` is the signing secret when the message has one; ``event_type`` and ``delivery_id``
    (the outbox id, stable across retries so receivers can drop duplicates) travel as metadata."""

    def send(self, target: str, payload: dict, *, secret: str | None, event_type: str,
             delivery_id: int) -> DeliveryResult: ...


# channel name → implementation. engine.channels fills in the defaults; a city replaces one with
# ``CHANNELS["sms"] = MyProviderSms()`` at start-up (see engine/channels/sms.py).
CHANNELS: dict[str, Channel] = {}
