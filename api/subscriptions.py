"""Webhook subscriptions to case events, and the delivery log of the outbox (admins)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from api.auth import current_actor
from api.errors import ApiProblem
from api.extensions import db
from api.i18n import pick
from api.pagination import page_of
from api.visibility import cases_visible_now
from engine.channels import destinations
from engine.models import Instance
from engine.outbox import STATUSES, DeliveryAttempt, OutboxMessage
from engine.subscriptions import STATUS_EVENTS, SUBSCRIBABLE_EVENTS, CaseSubscription, subscribe

blp = Blueprint("subscriptions", __name__, url_prefix="/api/v1", description="案件事件订阅（Webhook） / Webhooks")
deliveries_blp = Blueprint("deliveries", __name__, url_prefix="/api/v1/deliveries",
                           description="消息投递记录 / Delivery log")

# Every publish reads the matching subscriptions: a cap keeps one person from making that read large.
MAX_ACTIVE_PER_OWNER = 100

_URL = validate.URL(schemes={"http", "https"}, require_tld=False)  # intranet hosts have no TLD


def _http_url(value: str) -> None:
    try:
        _URL(value)
    except ValidationError:
        raise ValidationError(pick("必须是有效的 http:// 或 https:// 地址", "must be a valid http:// or https:// URL"))
    try:
        destinations.POLICY.check_url(value)
    except destinations.Refusal as refusal:
        raise ValidationError(pick(refusal.zh, refusal.en)) from None


class SubscriptionCreateSchema(Schema):
    url = fields.String(required=True, validate=[validate.Length(max=500), _http_url],
                        metadata={"format": "uri", "description": "接收 POST 的地址 / where events are POSTed"})
    secret = fields.String(validate=validate.Length(min=16, max=200), load_only=True,
                           metadata={"description": "签名密钥；不填则生成，仅在本次响应中返回 / signing secret; "
                                                    "generated when absent and shown only in this answer"})
    event_types = fields.List(fields.String(validate=validate.OneOf(SUBSCRIBABLE_EVENTS)),
                              validate=validate.Length(min=1, max=len(SUBSCRIBABLE_EVENTS)),
                              metadata={"description": "默认：案件状态变化 / default: " + ", ".join(STATUS_EVENTS)})


class SubscriptionSchema(Schema):
    id = fields.Integer()
    case_no = fields.String(allow_none=True,
                            metadata={"description": "空 = 我发起的所有案件 / null = all cases I started"})
    url = fields.String()
    event_types = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()


class SubscriptionCreatedSchema(SubscriptionSchema):
    secret = fields.String(metadata={"description": "仅此一次返回 / returned only once"})


class DeliveryQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "消息状态 / message status"})
    case_no = fields.String(validate=validate.Length(max=40))
    channel = fields.String(validate=validate.Length(max=20))
    ok = fields.Boolean(metadata={"description": "本次尝试是否成功 / whether the attempt succeeded"})


class DeliveryAttemptSchema(Schema):
    id = fields.Integer()
    outbox_id = fields.Integer()
    attempt_no = fields.Integer()
    at = fields.DateTime()
    ok = fields.Boolean()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    channel = fields.String(attribute="message.channel")
    target = fields.String(attribute="message.target")
    event_type = fields.String(attribute="message.event_type")
    case_no = fields.String(attribute="message.case_no", allow_none=True)
    message_status = fields.String(attribute="message.status")
    message_attempts = fields.Integer(attribute="message.attempts")
    next_attempt_at = fields.DateTime(attribute="message.next_attempt_at")


def _create(case_id: int | None, body: dict):
    owner = current_actor().username
    active = db.session.scalar(select(func.count()).where(CaseSubscription.owner == owner,
                                                          CaseSubscription.active.is_(True)))
    if active >= MAX_ACTIVE_PER_OWNER:
        raise ApiProblem(409, "too_many_subscriptions", f"每人最多 {MAX_ACTIVE_PER_OWNER} 个订阅，请先删除不用的订阅",
                         f"at most {MAX_ACTIVE_PER_OWNER} subscriptions per person: delete unused ones first")
    subscription = subscribe(db.session, owner, body["url"], case_id=case_id, secret=body.get("secret"),
                             event_types=body.get("event_types"))
    db.session.commit()
    db.session.refresh(subscription)  # loads case_no
    return subscription, 201


@blp.route("/cases/<string:case_no>/subscriptions")
class CaseSubscriptions(MethodView):
    @blp.arguments(SubscriptionCreateSchema)
    @blp.response(201, SubscriptionCreatedSchema)
    def post(self, body, case_no):
        """订阅一个案件的事件 / Subscribe to one case's events"""
        case_id = db.session.scalar(select(Instance.id).where(Instance.case_no == case_no,
                                                              cases_visible_now()))
        if case_id is None:
            raise ApiProblem(404, "not_found", "案件不存在或无权查看", "case not found")
        return _create(case_id, body)


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    @blp.response(200, SubscriptionSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """我的订阅（不含密钥） / My subscriptions (secrets are never shown again)"""
        statement = select(CaseSubscription).where(CaseSubscription.owner == current_actor().username)
        return page_of(statement, pagination_parameters, CaseSubscription.id.desc())

    @blp.arguments(SubscriptionCreateSchema)
    @blp.response(201, SubscriptionCreatedSchema)
    def post(self, body):
        """订阅我发起的所有案件 / Subscribe to every case I start"""
        return _create(None, body)


@blp.route("/subscriptions/<int(max=2147483647):subscription_id>")
class SubscriptionDetail(MethodView):
    @blp.response(204)
    def delete(self, subscription_id):
        """删除订阅；尚未投递的消息不再发送 / Delete a subscription; its undelivered messages are dropped"""
        subscription = db.session.scalars(select(CaseSubscription).where(
            CaseSubscription.id == subscription_id, CaseSubscription.owner == current_actor().username)).first()
        if subscription is None:
            raise ApiProblem(404, "not_found", "订阅不存在", "subscription not found")
        db.session.delete(subscription)
        db.session.commit()


@deliveries_blp.route("")
class Deliveries(MethodView):
    @deliveries_blp.arguments(DeliveryQuerySchema, location="query")
    @deliveries_blp.response(200, DeliveryAttemptSchema(many=True))
    @deliveries_blp.paginate()
    def get(self, query, pagination_parameters):
        """投递记录：每次发送尝试，最新在前（管理员） / The delivery log, newest first (admins)"""
        statement = (select(DeliveryAttempt).join(DeliveryAttempt.message)
                     .options(contains_eager(DeliveryAttempt.message)))
        for name in ("status", "case_no", "channel"):  # case_no: ix_outbox_message_case_no
            if query.get(name) is not None:
                statement = statement.where(getattr(OutboxMessage, name) == query[name])
        if query.get("ok") is not None:
            statement = statement.where(DeliveryAttempt.ok.is_(query["ok"]))
        return page_of(statement, pagination_parameters, DeliveryAttempt.id.desc())
