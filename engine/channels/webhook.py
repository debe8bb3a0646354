"""Webhooks: an HTTP POST of the JSON payload, signed so the receiver knows it came from us.

Headers on every delivery:

- ``X-Citybpm-Event``: the event type (``case.stage_changed`` …)
- ``X-Citybpm-Delivery``: the outbox id; the same on every retry of one message, so a receiver
  that saw it already can answer 2xx and do nothing (delivery is at least once)
- ``X-Citybpm-Timestamp``: Unix seconds when this attempt was sent
- ``X-Citybpm-Signature``: ``sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed by the
  subscription's secret>``. Signing the timestamp with the body lets a receiver refuse replays of
  an old request: check the signature with ``verify_signature`` and that the timestamp is recent.

Nothing is sent to this machine, link-local or cloud-metadata addresses unless the operator allows the
network (engine.channels.destinations). Any 2xx answer counts as delivered; anything else (redirects
included: a redirect is never followed, so a signed body never lands somewhere the subscriber did not name)
is retried.
"""
from __future__ import annotations

import hashlib
import hmac
import json

import requests
import urllib3

from engine import clock
from engine.channels import destinations
from engine.channels.base import DeliveryResult
from engine.channels.checked_http import checked_adapter

TIMEOUT_SECONDS = 5
USER_AGENT = "citybpm-webhook/1"
MAX_ERROR_CHARS = 300


def encode_body(payload: dict) -> bytes:
    """The exact bytes sent and signed: compact, key-sorted UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature_header: str) -> bool:
    """What a receiver runs on the raw request body (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature_header or "")


class WebhookChannel:
    def __init__(self, timeout: float = TIMEOUT_SECONDS, policy: destinations.DestinationPolicy | None = None):
        self.timeout = timeout
        self.policy = policy  # None: the deployment's (destinations.POLICY)
        # shared by every send: its connection pools are thread-safe, and it checks each connection's peer
        self.adapter = checked_adapter(self._policy)

    def _policy(self) -> destinations.DestinationPolicy:
        return self.policy or destinations.POLICY

    def send(self, target: str, payload: dict, *, secret: str | None, event_type: str,
             delivery_id: int) -> DeliveryResult:
        if not secret:
            # Unsigned deliveries would teach receivers to skip the check: refuse instead.
            return DeliveryResult(False, error="no signing secret")
        try:
            self._policy().check_resolved(target)
        except destinations.Refusal as refusal:
            return DeliveryResult(False, error=str(refusal))
        body = encode_body(payload)
        timestamp = str(int(clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Citybpm-Event": event_type,
            "X-Citybpm-Delivery": str(delivery_id),
            "X-Citybpm-Timestamp": timestamp,
            "X-Citybpm-Signature": sign(secret, timestamp, body),
        }
        session = requests.Session()  # not closed: closing it would close the shared adapter's pools
        session.mount("http://", self.adapter)
        session.mount("https://", self.adapter)
        try:
            # stream=True: only the first bytes of an error answer are read, however large it is.
            with session.post(target, data=body, headers=headers, timeout=self.timeout,
                              allow_redirects=False, stream=True) as response:
                if 200 <= response.status_code < 300:
                    return DeliveryResult(True, response.status_code)
                snippet = response.raw.read(MAX_ERROR_CHARS, decode_content=True).decode("utf-8", "replace")
                return DeliveryResult(False, response.status_code,
                                      f"HTTP {response.status_code}: {snippet}"[:MAX_ERROR_CHARS])
        except requests.Timeout:
            return DeliveryResult(False, error=f"timeout after {self.timeout:g} s")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            return DeliveryResult(False, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
