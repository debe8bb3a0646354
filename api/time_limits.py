"""Time-limit standards (时限标准) and overdue policies, editable by admins."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate, validates_schema, ValidationError
from sqlalchemy import select

from api.auth import current_actor
from api.errors import ApiProblem
from api.extensions import db
from api.pagination import page_of
from engine.calendar import TimeUnit
from engine.audit import record
from engine.deadlines import LIMIT_STAGES, LIMITS, DeadlinePolicy, OverdueAction, TimeLimit

blp = Blueprint("time_limits", __name__, url_prefix="/api/v1", description="时限标准与超时处理 / Time limits")

UNITS = [u.value for u in TimeUnit]


class TimeLimitSchema(Schema):
    id = fields.Integer(dump_only=True)
    stage = fields.String(required=True, validate=validate.OneOf(list(LIMIT_STAGES)),
                          metadata={"description": "阶段：" + "、".join(f"{k}={v[0]}" for k, v in LIMIT_STAGES.items())})
    category_code = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(r"^[0-9A-Za-z]{1,40}$"),
                                  metadata={"description": "小类编码；为空表示该阶段的默认时限"})
    amount = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=10_000))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS),
                         metadata={"description": "urgent_hours=紧急工作时, work_hours=工作时, work_days=工作日, "
                                                  "natural_days=自然日"})
    warn_share = fields.Float(allow_none=True, load_default=None,
                              validate=validate.Range(min=0, max=1, min_inclusive=False, max_inclusive=False))
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))


class TimeLimitQuerySchema(Schema):
    stage = fields.String(validate=validate.OneOf(list(LIMIT_STAGES)))
    category_code = fields.String(validate=validate.Length(max=40))


class PolicySchema(Schema):
    id = fields.Integer(dump_only=True)
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=100))
    node_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    action = fields.String(required=True, validate=validate.OneOf(OverdueAction.ALL),
                           metadata={"description": "remind=提醒, escalate=督办, auto_complete=自动流转"})
    max_reminders = fields.Integer(strict=True, load_default=3, validate=validate.Range(min=0, max=50))
    remind_every = fields.Float(load_default=1.0, validate=validate.Range(min=0, min_inclusive=False, max=1000))
    remind_unit = fields.String(load_default="work_hours", validate=validate.OneOf(UNITS))
    escalate_to_role = fields.String(allow_none=True, load_default="leader", validate=validate.Length(max=40))
    auto_complete_data = fields.Dict(load_default=dict)

    @validates_schema
    def _auto_complete_needs_data(self, data, **_kwargs):
        if data.get("action") == OverdueAction.AUTO_COMPLETE and not data.get("auto_complete_data"):
            raise ValidationError("自动流转需要给出提交的数据", "auto_complete_data")


def _one(model, item_id):
    row = db.session.get(model, item_id)
    if row is None:
        raise ApiProblem(404, "not_found", "记录不存在", "not found")
    return row


def _refuse_duplicate_standard(row: TimeLimit, body: dict) -> None:
    """(stage, category) is unique; SQL unique constraints let NULL categories repeat, so check here too."""
    same = select(TimeLimit.id).where(TimeLimit.stage == body["stage"])
    same = same.where(TimeLimit.category_code.is_(None) if body.get("category_code") is None
                      else TimeLimit.category_code == body["category_code"])
    if row.id is not None:
        same = same.where(TimeLimit.id != row.id)
    if db.session.scalar(same.limit(1)) is not None:
        raise ApiProblem(409, "conflict", "该阶段（及小类）已有时限标准", "a standard for this stage and category exists")


def _as_dict(row) -> dict | None:
    if row is None or row.id is None:
        return None
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}


def _save(row, body: dict):
    if isinstance(row, TimeLimit):
        _refuse_duplicate_standard(row, body)
    before = _as_dict(row)
    for name, value in body.items():
        setattr(row, name, value)
    db.session.add(row)
    try:
        db.session.flush()
        record(db.session, actor=current_actor().username, action=f"{row.__tablename__}.save",
               target_type=row.__tablename__, target_id=row.id, before=before, after=_as_dict(row),
               ip=request.remote_addr)
    except Exception as exc:  # unique (stage, category) / (process, node)
        db.session.rollback()
        if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
            raise ApiProblem(409, "conflict", "已存在相同的记录", "an identical entry exists") from None
        raise
    db.session.commit()
    LIMITS.invalidate()
    return row


@blp.route("/time-limits")
class TimeLimits(MethodView):
    @blp.arguments(TimeLimitQuerySchema, location="query")
    @blp.response(200, TimeLimitSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """时限标准列表 / Time-limit standards"""
        statement = select(TimeLimit)
        for name, value in query.items():
            statement = statement.where(getattr(TimeLimit, name) == value)
        return page_of(statement, pagination_parameters, TimeLimit.stage, TimeLimit.category_code, TimeLimit.id)

    @blp.arguments(TimeLimitSchema)
    @blp.response(201, TimeLimitSchema)
    def post(self, body):
        """新增时限标准 / Add a standard"""
        return _save(TimeLimit(), body)


@blp.route("/time-limits/<int(max=2147483647):limit_id>")
class TimeLimitItem(MethodView):
    @blp.response(200, TimeLimitSchema)
    def get(self, limit_id):
        """一条时限标准 / One standard"""
        return _one(TimeLimit, limit_id)

    @blp.arguments(TimeLimitSchema)
    @blp.response(200, TimeLimitSchema)
    def put(self, body, limit_id):
        """修改时限标准（对之后产生的任务生效） / Change a standard (applies to tasks created afterwards)"""
        return _save(_one(TimeLimit, limit_id), body)

    @blp.response(204)
    def delete(self, limit_id):
        """删除时限标准 / Delete a standard"""
        row = _one(TimeLimit, limit_id)
        record(db.session, actor=current_actor().username, action="time_limit.delete", target_type="time_limit",
               target_id=limit_id, before=_as_dict(row), after=None, ip=request.remote_addr)
        db.session.delete(row)
        db.session.commit()
        LIMITS.invalidate()


@blp.route("/deadline-policies")
class Policies(MethodView):
    @blp.response(200, PolicySchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """各任务类型的超时处理方式（未配置时：提醒 3 次，每 1 工作时） / Overdue policies"""
        return page_of(select(DeadlinePolicy), pagination_parameters, DeadlinePolicy.process_key,
                       DeadlinePolicy.node_id)

    @blp.arguments(PolicySchema)
    @blp.response(201, PolicySchema)
    def post(self, body):
        """设置超时处理方式 / Set a policy"""
        return _save(DeadlinePolicy(), body)


@blp.route("/deadline-policies/<int(max=2147483647):policy_id>")
class Policy(MethodView):
    @blp.arguments(PolicySchema)
    @blp.response(200, PolicySchema)
    def put(self, body, policy_id):
        """修改超时处理方式 / Change a policy"""
        return _save(_one(DeadlinePolicy, policy_id), body)

    @blp.response(204)
    def delete(self, policy_id):
        """删除（恢复默认：提醒） / Delete (back to the default: remind)"""
        row = _one(DeadlinePolicy, policy_id)
        record(db.session, actor=current_actor().username, action="deadline_policy.delete",
               target_type="deadline_policy", target_id=policy_id, before=_as_dict(row), after=None,
               ip=request.remote_addr)
        db.session.delete(row)
        db.session.commit()
