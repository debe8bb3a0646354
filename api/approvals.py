"""延期 and 挂账 requests and their approval; 催办; 督办 (engine.operations.approvals, urging, supervision)."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from api.auth import current_actor, current_principal
from api.errors import ApiProblem
from api.extensions import db
from api.pagination import page_of
from api.visibility import cases_visible_now
from engine.models import Instance, Task
from engine.operations import approvals, supervision, urging
from engine.operations.records import ApprovalRequest

blp = Blueprint("approvals", __name__, url_prefix="/api/v1", description="延期、挂账审批与督办 / Approvals and supervision")

REASON = dict(required=True, validate=validate.Length(min=1, max=500))


class ExtensionRequestSchema(Schema):
    reason = fields.String(**REASON)
    amount = fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=10_000),
                          metadata={"description": "延期时长（任务时限的单位），默认一个原时限 / in the limit's unit"})


class HangRequestSchema(Schema):
    reason = fields.String(**REASON)
    until = fields.AwareDateTime(metadata={"description": "自动恢复计时的时间，默认且最长为“挂账最长天数” / "
                                                          "when the clock resumes by itself"})


class DecisionSchema(Schema):
    note = fields.String(validate=validate.Length(max=500), metadata={"description": "审批意见 / note"})


class RejectionSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=500),
                         metadata={"description": "不予批准的理由 / why not"})


class ApprovalQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(list(approvals.KINDS)))
    status = fields.String(validate=validate.OneOf(approvals.STATUSES))


class ApprovalSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "extension：延期；hang：挂账"})
    kind_name = fields.String()
    status = fields.String(metadata={"description": "pending | approved | rejected | cancelled"})
    case_no = fields.String()
    task_id = fields.String(allow_none=True)
    node_id = fields.String(allow_none=True)
    task_open = fields.Boolean(metadata={"description": "申请针对的任务是否仍在办理（已办结则不能再审批）"})
    reason = fields.String()
    amount = fields.Float(allow_none=True)
    until = fields.DateTime(allow_none=True)
    requested_by = fields.String()
    requested_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class UrgeSchema(Schema):
    message = fields.String(load_default="请尽快办理", validate=validate.Length(min=1, max=500))


class UrgeResultSchema(Schema):
    notified = fields.List(fields.String())
    urged_at = fields.DateTime()


class SupervisionSchema(Schema):
    reason = fields.String(**REASON)


class SupervisionStateSchema(Schema):
    case_no = fields.String()
    supervised = fields.Boolean()
    supervised_at = fields.DateTime(allow_none=True)
    supervised_by = fields.String(allow_none=True)


def engine():
    return current_app.extensions["citybpm_engine"]


def _permissions():
    return current_principal().permissions


def present(rows: list[ApprovalRequest]) -> list[dict]:
    """Requests with their case number and whether their task is still open (two queries per page)."""
    case_ids = {r.instance_id for r in rows}
    task_ids = {r.task_id for r in rows if r.task_id}
    numbers = dict(db.session.execute(select(Instance.id, Instance.case_no).where(Instance.id.in_(case_ids)))
                   .all()) if case_ids else {}
    open_ids = set(db.session.scalars(select(Task.id).where(Task.id.in_(task_ids)))) if task_ids else set()
    return [{**{c.key: getattr(r, c.key) for c in ApprovalRequest.__table__.columns},
             "kind_name": approvals.KINDS[r.kind][0], "case_no": numbers.get(r.instance_id),
             "task_open": r.task_id in open_ids} for r in rows]


def _visible_case(case_no: str) -> Instance:
    case = db.session.scalars(select(Instance).where(Instance.case_no == case_no, cases_visible_now())).first()
    if case is None:
        raise ApiProblem(404, "not_found", "案件不存在或无权查看", "case not found")
    return case


def _request_in_scope(request_id: int) -> None:
    """404 for a request on a case outside the caller's data scope (a district leader decides for their district)."""
    found = db.session.scalar(select(ApprovalRequest.id).where(ApprovalRequest.id == request_id,
                                                               approvals.in_scope(cases_visible_now())))
    if found is None:
        raise ApiProblem(404, "not_found", "申请不存在或无权查看", "request not found")


def _task_case_in_scope(task_id: str) -> None:
    """催办 is for tasks of cases the caller may see (a leader's data scope), not any task id."""
    case_id = db.session.scalar(select(Task.instance_id).where(Task.id == task_id))
    found = case_id is not None and db.session.scalar(select(Instance.id).where(Instance.id == case_id,
                                                                                cases_visible_now()))
    if not found:
        raise ApiProblem(404, "not_found", "任务不存在或无权查看", "task not found")


def _visible_task(task_id: str) -> None:
    """404 for a task the caller may not see (no leaking of others' work)."""
    engine().visible_task(db.session, task_id, current_actor())


@blp.route("/tasks/<string:task_id>/extension-requests")
class ExtensionRequests(MethodView):
    @blp.arguments(ExtensionRequestSchema)
    @blp.response(201, ApprovalSchema)
    def post(self, body, task_id):
        """申请延期（办理人）：待值班长/领导审批 / Ask for an extension"""
        _visible_task(task_id)
        request = approvals.request_extension(db.session, engine(), task_id, current_actor(),
                                              reason=body["reason"], amount=body.get("amount"))
        db.session.commit()
        return present([request])[0]


@blp.route("/tasks/<string:task_id>/hang-requests")
class HangRequests(MethodView):
    @blp.arguments(HangRequestSchema)
    @blp.response(201, ApprovalSchema)
    def post(self, body, task_id):
        """申请挂账（办理人）：批准后案件停止计时，到期自动恢复 / Ask for 挂账 (the clock pauses once approved)"""
        _visible_task(task_id)
        request = approvals.request_hang(db.session, engine(), task_id, current_actor(), reason=body["reason"],
                                         until=body.get("until"))
        db.session.commit()
        return present([request])[0]


@blp.route("/approvals")
class Approvals(MethodView):
    @blp.arguments(ApprovalQuerySchema, location="query")
    @blp.response(200, ApprovalSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """延期、挂账申请：待审批的在前；审批人看全部，申请人看自己的 / Requests, pending first"""
        statement, order = approvals.list_statement(current_actor(), _permissions(), kind=query.get("kind"),
                                                    status=query.get("status"), case_scope=cases_visible_now())
        return present(page_of(statement, pagination_parameters, *order))


@blp.route("/approvals/<int(max=2147483647):request_id>")
class ApprovalDetail(MethodView):
    @blp.response(200, ApprovalSchema)
    def get(self, request_id):
        """一条申请 / One request"""
        _request_in_scope(request_id)
        return present([approvals.get_request(db.session, request_id, current_actor(), _permissions())])[0]


@blp.route("/approvals/<int(max=2147483647):request_id>/approve")
class Approve(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, ApprovalSchema)
    def post(self, body, request_id):
        """批准：延期则期限顺延，挂账则案件停止计时 / Approve: the due moves, or the case's clock stops"""
        _request_in_scope(request_id)
        request = approvals.approve(db.session, engine(), request_id, current_actor(), permissions=_permissions(),
                                    note=body.get("note"))
        db.session.commit()
        return present([request])[0]


@blp.route("/approvals/<int(max=2147483647):request_id>/reject")
class Reject(MethodView):
    @blp.arguments(RejectionSchema)
    @blp.response(200, ApprovalSchema)
    def post(self, body, request_id):
        """不予批准（须说明理由） / Reject, with a note"""
        _request_in_scope(request_id)
        request = approvals.reject(db.session, request_id, current_actor(), permissions=_permissions(),
                                   note=body["note"])
        db.session.commit()
        return present([request])[0]


@blp.route("/approvals/<int(max=2147483647):request_id>/cancel")
class Cancel(MethodView):
    @blp.response(200, ApprovalSchema)
    def post(self, request_id):
        """撤销自己待审批的申请 / Cancel your own pending request"""
        request = approvals.cancel(db.session, request_id, current_actor())
        db.session.commit()
        return present([request])[0]


@blp.route("/tasks/<string:task_id>/urge")
class Urge(MethodView):
    @blp.arguments(UrgeSchema)
    @blp.response(200, UrgeResultSchema)
    def post(self, body, task_id):
        """催办：通知办理人（未签收时通知全部候选人） / Urge the task's handler(s)"""
        _task_case_in_scope(task_id)
        result = urging.urge(db.session, engine(), task_id, current_actor(), message=body["message"])
        db.session.commit()
        return result


def _supervision_state(case: Instance) -> dict:
    db.session.expire(case)
    return {"case_no": case.case_no, "supervised": case.supervised_at is not None,
            "supervised_at": case.supervised_at, "supervised_by": case.supervised_by}


@blp.route("/cases/<string:case_no>/supervise")
class Supervise(MethodView):
    @blp.arguments(SupervisionSchema)
    @blp.response(200, SupervisionStateSchema)
    def post(self, body, case_no):
        """督办：标记案件并通知办理人及其部门领导 / Flag a case for supervision"""
        case = _visible_case(case_no)
        supervision.supervise(db.session, case.id, current_actor(), reason=body["reason"])
        db.session.commit()
        return _supervision_state(case)


@blp.route("/cases/<string:case_no>/lift-supervision")
class LiftSupervision(MethodView):
    @blp.arguments(SupervisionSchema)
    @blp.response(200, SupervisionStateSchema)
    def post(self, body, case_no):
        """解除督办 / Lift the supervision flag"""
        case = _visible_case(case_no)
        supervision.lift(db.session, case.id, current_actor(), reason=body["reason"])
        db.session.commit()
        return _supervision_state(case)
