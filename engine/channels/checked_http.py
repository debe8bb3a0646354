"""A requests adapter whose connections check the address they actually reached (engine.channels.destinations).

Checking a host's addresses before sending leaves a gap: the connection resolves the name again, and a name can
answer differently the second time (DNS rebinding: a public address for the check, 127.0.0.1 for the connection).
These connections check the peer of the connected socket, so what is checked is what is talked to. A request sent
through a proxy connects to the proxy, not to the host: such requests keep only the check before sending.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from engine.channels import destinations

PolicyOf = Callable[[], destinations.DestinationPolicy]


def checked_adapter(policy_of: PolicyOf) -> HTTPAdapter:
    """An adapter for ``http://`` and ``https://`` whose every new connection is checked with ``policy_of()``."""

    class CheckedPeer:
        def _new_conn(self):
            sock = super()._new_conn()
            peer = sock.getpeername()[0].split("%")[0]
            try:
                policy_of().check_address(ipaddress.ip_address(peer))
            except destinations.Refusal as refusal:
                sock.close()
                raise NewConnectionError(self, str(refusal)) from None
            return sock

    class CheckedHTTPConnection(CheckedPeer, HTTPConnection):
        pass

    class CheckedHTTPSConnection(CheckedPeer, HTTPSConnection):
        pass

    class CheckedHTTPPool(HTTPConnectionPool):
        ConnectionCls = CheckedHTTPConnection

    class CheckedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = CheckedHTTPSConnection

    class CheckedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": CheckedHTTPPool, "https": CheckedHTTPSPool}

    return CheckedAdapter()
