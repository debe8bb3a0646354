"""WeChat (微信 / 企业微信). The default records each message instead of sending it.

The target is the user's openid (公众号) or userid (企业微信) from ``user_contact``. Plugging in
the real API works as for SMS (see engine/channels/sms.py)::

    from engine.channels import CHANNELS, DeliveryResult

    class WorkWechat:
        def send(self, target, payload, *, secret, event_type, delivery_id):
            answer = my_wecom_client.send_text(touser=target,
                                               content=f"{payload['title']}\\n{payload.get('body') or ''}")
            ok = answer.get("errcode") == 0
            return DeliveryResult(ok, 200, None if ok else answer.get("errmsg"))

    CHANNELS["wechat"] = WorkWechat()

Keep the access token cached in the provider object (WeChat limits how often it may be fetched),
never raise for a refused message, and bound each call by a timeout of a few seconds.
"""
from __future__ import annotations

from engine.channels.recording import RecordingChannel


class RecordingWechatChannel(RecordingChannel):
    def __init__(self):
        super().__init__("wechat")
