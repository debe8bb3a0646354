"""Where webhooks may be sent: never to this machine or to other special addresses, unless allowed.

A subscriber names the URL and the server POSTs to it, so without a check any caller could make the server
talk to itself (its database and Redis on loopback), to the cloud's metadata service (169.254.169.254; Alibaba
Cloud's 100.100.100.200) or to link-local devices. Private networks (10/8, 172.16/12, 192.168/16, fc00::/7) are
allowed: on a government cloud the receivers usually live there.

Subscribing checks a host written as an address (and ``localhost``) without a DNS lookup; sending resolves the
host and checks every address it has, and each connection checks the address it reached (engine.channels.
checked_http), so a name that answers differently the second time (DNS rebinding) is caught too. An operator
allows a refused network explicitly with ``CITYBPM_WEBHOOK_ALLOWED_NETWORKS`` (a receiver on the same machine:
``127.0.0.1/32``).
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REFUSED_NETWORKS: tuple[tuple[Network, str, str], ...] = tuple(
    (ipaddress.ip_network(network), zh, en) for network, zh, en in (
        ("127.0.0.0/8", "本机回环地址", "a loopback address"),
        ("::1/128", "本机回环地址", "a loopback address"),
        ("0.0.0.0/8", "未指定地址", "an unspecified address"),
        ("::/128", "未指定地址", "an unspecified address"),
        ("169.254.0.0/16", "链路本地地址（含云主机元数据服务）", "a link-local address (cloud metadata among them)"),
        ("fe80::/10", "链路本地地址", "a link-local address"),
        ("100.100.100.200/32", "云主机元数据服务地址", "a cloud metadata address"),
        ("224.0.0.0/4", "组播地址", "a multicast address"),
        ("ff00::/8", "组播地址", "a multicast address"),
        ("240.0.0.0/4", "保留地址", "a reserved address"),
    ))


class Refusal(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def parse_networks(text: str | None) -> tuple[Network, ...]:
    """``"127.0.0.1/32, ::1"`` → networks; raises ValueError naming a bad entry."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in (text or "").split(",") if part.strip())


class DestinationPolicy:
    def __init__(self, allowed: tuple[Network, ...] = ()):
        self.allowed = allowed

    def check_address(self, address: Address) -> None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if any(address in network for network in self.allowed if network.version == address.version):
            return
        for network, zh, en in REFUSED_NETWORKS:
            if network.version == address.version and address in network:
                raise Refusal(f"不允许发送到{zh}（{address}）", f"sending to {en} ({address}) is not allowed")

    def check_url(self, url: str) -> None:
        """At subscription time: an address or ``localhost`` written in the URL (no DNS lookup)."""
        host = (urlsplit(url).hostname or "").rstrip(".")
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            self.check_address(ipaddress.ip_address("127.0.0.1"))
        try:
            address = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return  # a name: resolved and checked when sending
        self.check_address(address)

    def check_resolved(self, url: str) -> None:
        """Before sending: every address the host resolves to (a name that does not resolve fails later, as the
        connection would)."""
        self.check_url(url)
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except (ValueError, OSError):  # a bad port, a name that does not resolve
            return
        for *_, sockaddr in infos:
            self.check_address(ipaddress.ip_address(sockaddr[0].split("%")[0]))


POLICY = DestinationPolicy()


def allow_networks(networks: tuple[Network, ...]) -> None:
    """The deployment's exceptions (``CITYBPM_WEBHOOK_ALLOWED_NETWORKS``), set once at start-up."""
    POLICY.allowed = networks
