"""engine.channels.destinations: webhooks never reach this machine or metadata services unless allowed."""
from __future__ import annotations

import socket

import pytest

from engine.channels.destinations import DestinationPolicy, Refusal, parse_networks
from engine.channels.webhook import WebhookChannel
from tests.engine.test_outbox import WebhookReceiver


@pytest.mark.parametrize("url,zh", [
    ("http://127.0.0.1:5432/", "本机回环地址"),
    ("http://127.9.9.9/", "本机回环地址"),
    ("http://localhost:6379/", "本机回环地址"),
    ("http://LOCALHOST./x", "本机回环地址"),
    ("http://api.localhost/x", "本机回环地址"),
    ("http://[::1]:8080/", "本机回环地址"),
    ("http://[::ffff:127.0.0.1]/", "本机回环地址"),  # an IPv4 address written as IPv6
    ("http://0.0.0.0:5000/", "未指定地址"),
    ("http://169.254.169.254/latest/meta-data/", "云主机元数据服务"),
    ("http://[::ffff:169.254.169.254]/", "链路本地地址"),
    ("http://100.100.100.200/latest/meta-data/", "云主机元数据服务地址"),
    ("http://[fe80::1]/", "链路本地地址"),
    ("http://224.0.0.1/", "组播地址"),
])
def test_special_addresses_are_refused_with_the_reason(url, zh):
    with pytest.raises(Refusal) as refused:
        DestinationPolicy().check_url(url)
    assert zh in refused.value.zh and "is not allowed" in refused.value.en


@pytest.mark.parametrize("url", ["http://10.0.0.8:8080/hook", "https://192.168.3.4/h", "http://172.20.1.1/h",
                                 "http://[fd00::5]/h", "https://hooks.example.cn/citybpm", "http://100.64.1.1/h"])
def test_intranet_and_public_receivers_are_allowed(url):
    DestinationPolicy().check_url(url)  # no exception; names are not looked up when subscribing


def test_an_operator_allows_a_refused_network_explicitly():
    policy = DestinationPolicy(parse_networks("127.0.0.1/32, ::1"))
    policy.check_url("http://127.0.0.1:9000/h")
    policy.check_url("http://[::1]:9000/h")
    with pytest.raises(Refusal):
        policy.check_url("http://127.0.0.2:9000/h")  # only what was named
    with pytest.raises(ValueError):
        parse_networks("127.0.0.1/32, not-a-network")
    assert parse_networks(" ") == ()


def test_a_name_is_checked_by_what_it_resolves_to_before_sending(monkeypatch):
    # The machine has no DNS server to ask: the resolver's answer is given here, the check is the real one.
    answers = {"hooks.example.cn": ["203.0.113.7"], "internal.example.cn": ["10.1.2.3", "169.254.169.254"]}

    def getaddrinfo(host, port, type=0):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    policy = DestinationPolicy()
    policy.check_url("http://internal.example.cn/h")  # subscribing does not look names up
    policy.check_resolved("https://hooks.example.cn/h")
    with pytest.raises(Refusal, match=r"169\.254\.169\.254"):
        policy.check_resolved("http://internal.example.cn/h")  # one bad address of several is enough
    policy.check_resolved("http://no-such-host.invalid/h")  # does not resolve: the connection will fail instead


def test_a_refused_destination_is_a_failed_delivery_and_nothing_is_sent():
    with WebhookReceiver(secret=None) as receiver:
        result = WebhookChannel(policy=DestinationPolicy()).send(
            receiver.url, {"type": "case.ended"}, secret="s" * 20, event_type="case.ended", delivery_id=1)
        allowed = WebhookChannel(policy=DestinationPolicy(parse_networks("127.0.0.0/8"))).send(
            receiver.url, {"type": "case.ended"}, secret="s" * 20, event_type="case.ended", delivery_id=2)
    assert not result.ok and result.status_code is None
    assert "loopback address (127.0.0.1) is not allowed" in result.error
    assert allowed.ok and len(receiver.requests) == 1  # only the allowed one reached the receiver


def test_a_name_that_answers_differently_for_the_connection_is_caught_at_the_socket(monkeypatch):
    # DNS rebinding: the name resolves to a public address for the check, then to loopback for the connection.
    # The resolver is simulated (no DNS server here); the receiver, the connection and the check are real.
    real_getaddrinfo, answers = socket.getaddrinfo, iter(["203.0.113.7"])

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example.cn":
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with WebhookReceiver(secret=None) as receiver:
        url = receiver.url.replace("127.0.0.1", "rebind.example.cn")
        result = WebhookChannel(policy=DestinationPolicy()).send(
            url, {"type": "case.ended"}, secret="s" * 20, event_type="case.ended", delivery_id=3)
    assert not result.ok and "loopback address (127.0.0.1) is not allowed" in result.error
    assert receiver.requests == []  # connected, found to be loopback, closed before a byte was sent
