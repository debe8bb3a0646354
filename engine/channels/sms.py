"""SMS (短信). The default records each message instead of sending it.

Plugging in a provider (阿里云短信, 腾讯云短信, a carrier's gateway …): write a class with the
``Channel`` method and register it once at start-up, before the scheduler delivers the outbox::

    from engine.channels import CHANNELS, DeliveryResult
    from engine.channels.sms import sms_text

    class CitySmsGateway:
        def send(self, target, payload, *, secret, event_type, delivery_id):
            # target is the phone number from user_contact; the payload has title, body, case_no
            answer = my_gateway.send(phone=target, text=sms_text(payload), request_id=str(delivery_id))
            if answer.ok:
                return DeliveryResult(True, answer.http_status)
            return DeliveryResult(False, answer.http_status, answer.message)  # retried with backoff

    CHANNELS["sms"] = CitySmsGateway()

Rules for a provider: never raise for a refused message (return ``ok=False``); pass
``delivery_id`` as the provider's idempotency/request id where it has one, since a message whose
sender crashed is sent again; keep each call bounded by a timeout of a few seconds.
"""
from __future__ import annotations

from engine.channels.recording import RecordingChannel

SIGNATURE = "【城市运管服】"  # carriers require the registered signature in front of every text
MAX_TEXT = 300


def sms_text(payload: dict) -> str:
    text = f"{SIGNATURE}{payload.get('title') or ''}"
    if payload.get("body"):
        text += f"：{payload['body']}"
    return text[:MAX_TEXT]


class RecordingSmsChannel(RecordingChannel):
    def __init__(self):
        super().__init__("sms")
