"""Delivery channels for the outbox: webhook (HTTP), SMS and WeChat.

Importing any part of this package registers the defaults in ``CHANNELS``: a real webhook sender,
and recording stand-ins for SMS and WeChat until a city plugs in its provider (see sms.py).
"""
from engine.channels.base import CHANNELS, Channel, DeliveryResult
from engine.channels.sms import RecordingSmsChannel
from engine.channels.webhook import WebhookChannel
from engine.channels.wechat import RecordingWechatChannel

CHANNELS.setdefault("webhook", WebhookChannel())
CHANNELS.setdefault("sms", RecordingSmsChannel())
CHANNELS.setdefault("wechat", RecordingWechatChannel())

__all__ = ["CHANNELS", "Channel", "DeliveryResult"]
