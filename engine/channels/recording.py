"""The default for channels a city has not connected yet: keep the message, send nothing.

The outbox row keeps the whole payload and is marked delivered; its delivery-log row carries the
note ``recorded, not sent``, so an admin sees in the delivery log what would have gone out.
"""
from __future__ import annotations

import logging

from engine.channels.base import DeliveryResult

RECORDED_NOTE = "recorded, not sent"

log = logging.getLogger("citybpm.channels")


class RecordingChannel:
    def __init__(self, name: str):
        self.name = name

    def send(self, target: str, payload: dict, *, secret: str | None, event_type: str,
             delivery_id: int) -> DeliveryResult:
        # The address stays out of the log (phone numbers are personal data); the outbox row has it.
        log.info("%s message %s recorded, not sent (no provider configured): %s",
                 self.name, delivery_id, payload.get("title"))
        return DeliveryResult(True, note=RECORDED_NOTE)
