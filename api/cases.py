"""Cases: start (idempotent), get, list and filter, event history."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from api.visibility import cases_listed_now, cases_visible_now
from api.auth import current_actor
from api.errors import ApiProblem
from api.i18n import language
from api.extensions import db
from api.pagination import page_of
from api.tasks import TaskSummarySchema, open_tasks_of
from engine.models import Event, Instance
from engine import clock
from engine.deadlines import Light, light, light_condition
from engine.runtime import CommandResult
from engine.operations import duplicates
from engine.stages import stage_name

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="案件 / Cases")

class StartCaseSchema(Schema):
    process_key = fields.String(load_default="closed_loop", validate=validate.Length(min=1, max=100))
    variables = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                            load_default=dict)


class CaseSchema(Schema):
    id = fields.Integer()
    case_no = fields.String()
    process_key = fields.String(attribute="definition.key")
    process_version = fields.Integer(attribute="definition.version")
    status = fields.String()
    stage = fields.String(allow_none=True)
    stage_name = fields.Method("_stage_name")
    outcome = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    category_code = fields.String(allow_none=True)
    grid_code = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    started_by = fields.String()
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True, metadata={"description": "案件结案时限"})
    warn_at = fields.DateTime(allow_none=True)
    light = fields.Method("_light")
    rework_count = fields.Method("_rework_count")
    merged_into_id = fields.Integer(allow_none=True, metadata={"description": "重复案件：被合并到的案件 id"})
    supervised_at = fields.DateTime(allow_none=True, metadata={"description": "督办时间（未督办为空）"})
    supervised_by = fields.String(allow_none=True)

    def _light(self, case):
        return light(clock.now(), case.warn_at, case.due_at) if case.status == "running" else None

    def _stage_name(self, case):
        return stage_name(case.stage, language())

    def _rework_count(self, case):
        return int((case.variables or {}).get("rework_count") or 0)


class CaseDetailSchema(CaseSchema):
    variables = fields.Dict()
    open_tasks = fields.List(fields.Nested(TaskSummarySchema))


class PossibleDuplicateSchema(Schema):
    case_no = fields.String()
    status = fields.String()
    stage = fields.String(allow_none=True)
    started_at = fields.DateTime()
    address = fields.String(allow_none=True)


class StartedCaseSchema(CaseDetailSchema):
    possible_duplicates = fields.List(fields.Nested(PossibleDuplicateSchema), metadata={
        "description": "疑似重复：同网格、同小类、时间窗口（系统参数 duplicate_window_hours）内的在办案件"})


class CaseListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["running", "suspended", "completed", "terminated"]))
    supervised = fields.Boolean(metadata={"description": "true：只看督办中的案件；false：只看未督办的"})
    stage = fields.String(validate=validate.Length(max=20))
    category_code = fields.String(validate=validate.Length(max=40))
    grid_code = fields.String(validate=validate.Length(max=40))
    source = fields.String(validate=validate.Length(max=30))
    outcome = fields.String(validate=validate.Length(max=30))
    started_by = fields.String(validate=validate.OneOf(["me"]), metadata={"description": "me：我发起的案件"})
    light = fields.String(validate=validate.OneOf(Light.ALL), metadata={"description": "按案件结案时限的灯色过滤"})
    sort = fields.String(validate=validate.OneOf(["started", "due"]), load_default="started")


class EventSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    task_id = fields.String(allow_none=True)
    node_id = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    at = fields.DateTime()
    data = fields.Dict()


class IdempotencyHeaderSchema(Schema):
    class Meta:
        unknown = "exclude"

    idempotency_key = fields.String(data_key="Idempotency-Key", validate=validate.Length(min=1, max=200))


def engine():
    return current_app.extensions["citybpm_engine"]


def _visible_case(case_no: str) -> Instance:
    case = db.session.scalars(select(Instance).where(Instance.case_no == case_no,
                                                     cases_visible_now())).first()
    if case is None:
        raise ApiProblem(404, "not_found", "案件不存在或无权查看", "case not found")
    return case


def _detail(case: Instance) -> Instance:
    case.open_tasks = open_tasks_of(CommandResult(case.id, case.case_no, None))
    return case


@blp.route("")
class Cases(MethodView):
    @blp.arguments(CaseListQuerySchema, location="query")
    @blp.response(200, CaseSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """案件列表（按权限过滤） / List the cases you may see"""
        statement = select(Instance).where(cases_listed_now())
        light_wanted, sort = query.pop("light", None), query.pop("sort")
        supervised = query.pop("supervised", None)
        if query.pop("started_by", None) == "me":
            statement = statement.where(Instance.started_by == current_actor().username)
        if supervised is not None:
            statement = statement.where(Instance.supervised_at.is_not(None) if supervised
                                        else Instance.supervised_at.is_(None))
        for name, value in query.items():
            statement = statement.where(getattr(Instance, name) == value)
        if light_wanted:
            statement = statement.where(Instance.status == "running",
                                        light_condition(Instance.warn_at, Instance.due_at, light_wanted, clock.now()))
        order = ((Instance.due_at.is_(None), Instance.due_at, Instance.id) if sort == "due"
                 else (Instance.started_at.desc(), Instance.id.desc()))
        return page_of(statement, pagination_parameters, *order)

    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(StartCaseSchema)
    @blp.response(201, StartedCaseSchema)
    @blp.alt_response(200, schema=StartedCaseSchema,
                      description="同一 Idempotency-Key 的重试返回原案件 / a retry returns the same case")
    def post(self, headers, body):
        """上报问题，启动案件；支持 Idempotency-Key / Start a case (honours Idempotency-Key)"""
        result = engine().start_case(db.session, body["process_key"], body["variables"], current_actor(),
                                     idempotency_key=headers.get("idempotency_key"))
        db.session.commit()
        case = db.session.get(Instance, result.case_id)
        case.open_tasks = open_tasks_of(result)
        case.possible_duplicates = duplicates.possible_duplicates(db.session.connection(), case.id)
        return case, 201 if result.created else 200


@blp.route("/<string:case_no>")
class CaseDetail(MethodView):
    @blp.response(200, CaseDetailSchema)
    def get(self, case_no):
        """案件详情：当前阶段、待办任务、数据 / A case with its stage, open tasks and data"""
        return _detail(_visible_case(case_no))


@blp.route("/<string:case_no>/events")
class CaseEvents(MethodView):
    @blp.response(200, EventSchema(many=True))
    @blp.paginate()
    def get(self, case_no, pagination_parameters):
        """案件的事件历史（审计轨迹） / The case's event history"""
        case = _visible_case(case_no)
        statement = select(Event).where(Event.instance_id == case.id)
        return page_of(statement, pagination_parameters, Event.id)


class SuspendSchema(Schema):
    kind = fields.String(load_default="hang", validate=validate.OneOf(["hang", "suspend"]),
                         metadata={"description": "hang：挂账；suspend：暂停"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    until = fields.AwareDateTime(metadata={"description": "最迟自动恢复时间（挂账默认一年）"})


class ResumeSchema(Schema):
    reason = fields.String(validate=validate.Length(max=500))


class MessageSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    payload = fields.Dict(load_default=dict)


@blp.route("/<string:case_no>/suspend")
class Suspend(MethodView):
    @blp.arguments(SuspendSchema)
    @blp.response(200, CaseDetailSchema)
    def post(self, body, case_no):
        """挂账 / 暂停：案件计时停止 / Pause the case's clock (挂账 or suspension)"""
        case = _visible_case(case_no)
        engine().pause_case(db.session, case.id, current_actor(), kind=body["kind"], reason=body["reason"],
                            until=body.get("until"))
        db.session.commit()
        return _detail(_reload(case))


@blp.route("/<string:case_no>/resume")
class Resume(MethodView):
    @blp.arguments(ResumeSchema)
    @blp.response(200, CaseDetailSchema)
    def post(self, body, case_no):
        """恢复计时：各期限顺延挂账期间的工作时间 / Resume: deadlines move by the paused working time"""
        case = _visible_case(case_no)
        engine().resume_case(db.session, case.id, current_actor(), reason=body.get("reason"))
        db.session.commit()
        return _detail(_reload(case))


@blp.route("/<string:case_no>/messages")
class Messages(MethodView):
    @blp.arguments(MessageSchema)
    @blp.response(200, CaseDetailSchema)
    def post(self, body, case_no):
        """向案件发送消息事件（如当事人申请听证） / Deliver a BPMN message to a waiting case"""
        case = _visible_case(case_no)
        engine().send_message(db.session, case.id, body["name"], body["payload"], current_actor())
        db.session.commit()
        return _detail(_reload(case))


def _reload(case: Instance) -> Instance:
    db.session.expire(case)
    return db.session.get(Instance, case.id)
