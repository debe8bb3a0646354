"""A dependency that may be down (Redis): said once per outage, not once per call, and not retried on every call.

Each try at a dead server can cost a connect timeout, paid by the request that happened to commit; so after a
failure the next tries wait ``retry_after`` seconds, and the log gets one warning when it goes and one line when
it is back.
"""
from __future__ import annotations

import logging
import threading
import time


class Outage:
    def __init__(self, log: logging.Logger, what: str, retry_after: float = 5.0, monotonic=time.monotonic):
        self.log, self.what, self.retry_after, self._monotonic = log, what, retry_after, monotonic
        self._lock = threading.Lock()
        self.down = False
        self._failed_at = 0.0

    def should_try(self) -> bool:
        return not self.down or self._monotonic() - self._failed_at >= self.retry_after

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            first = not self.down
            self.down, self._failed_at = True, self._monotonic()
        if first:
            self.log.warning("%s failed (%s); retrying at most every %.0f s, said again when it works",
                             self.what, exc, self.retry_after)

    def worked(self) -> None:
        with self._lock:
            was_down, self.down = self.down, False
        if was_down:
            self.log.info("%s works again", self.what)
