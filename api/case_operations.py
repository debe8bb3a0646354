"""Operations that reshape a case's flow: 退回, 撤回 and the 已办 list, terminate, 撤件, duplicates and merge.

Suspend / resume stay in api/cases.py (``/cases/{case_no}/suspend``, ``/resume``, permission case.suspend).
"""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from api.auth import current_actor, current_principal
from api.cases import CaseDetailSchema, _detail, _reload, _visible_case
from api.extensions import db
from api.tasks import TaskSummarySchema, open_tasks_of
from engine.models import Event, Instance, Task
from engine.operations import case_control, duplicates, going_back
from engine.parser import node_config
from engine.runtime import CommandResult

blp = Blueprint("case_ops", __name__, url_prefix="/api/v1", description="案件操作 / Case operations")

REASON = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={"description": "原因/意见"})


class CaseOpReasonSchema(Schema):
    reason = REASON


class ReturnSchema(Schema):
    target = fields.String(required=True, validate=validate.Length(min=1, max=100),
                           metadata={"description": "退回到的环节 id（见 return-targets）"})
    reason = REASON


class MergeSchema(Schema):
    into = fields.String(required=True, validate=validate.Length(min=1, max=40),
                         metadata={"description": "合并到的（较早的）案件编号"})
    reason = REASON


class ReturnTargetSchema(Schema):
    node_id = fields.String()
    name = fields.String(allow_none=True)
    completed_by = fields.String(allow_none=True, metadata={"description": "该环节最近的办理人：退回后由其办理"})


class ReopenedSchema(Schema):
    case_no = fields.String()
    task_id = fields.String(metadata={"description": "重新打开的任务"})
    node_id = fields.String()
    assignee = fields.String(allow_none=True)
    open_tasks = fields.List(fields.Nested(TaskSummarySchema))


class DoneTaskSchema(Schema):
    task_id = fields.String()
    case_no = fields.String()
    node_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    completed_at = fields.DateTime()
    case_status = fields.String()
    withdrawable = fields.Boolean(metadata={"description": "下一环节尚未处理，可以撤回"})


class DuplicateSchema(Schema):
    case_no = fields.String()
    status = fields.String()
    stage = fields.String(allow_none=True)
    started_at = fields.DateTime()
    address = fields.String(allow_none=True)
    category_code = fields.String(allow_none=True)
    grid_code = fields.String(allow_none=True)


class MergeResultSchema(Schema):
    case_no = fields.String()
    merged_into = fields.String()


def engine():
    return current_app.extensions["citybpm_engine"]


def _reopened(result: dict, case_id: int) -> dict:
    case = db.session.get(Instance, case_id)
    return dict(result, case_no=case.case_no, open_tasks=open_tasks_of(CommandResult(case.id, case.case_no, None)))


# ----------------------------------------------------------------------------------------- 退回 / 撤回


@blp.route("/tasks/<string:task_id>/return-targets")
class ReturnTargets(MethodView):
    @blp.response(200, ReturnTargetSchema(many=True))
    def get(self, task_id):
        """可退回的环节：本流程中已办理过的上游用户任务 / Earlier steps this task may be returned to"""
        return going_back.return_targets(engine(), db.session, task_id, current_actor())


@blp.route("/tasks/<string:task_id>/return")
class Return(MethodView):
    @blp.arguments(ReturnSchema)
    @blp.response(200, ReopenedSchema)
    def post(self, body, task_id):
        """退回到所选的上游环节，由该环节最近的办理人重新办理 / Return the task to an earlier step"""
        case_id = _case_of_open_task(task_id)
        result = going_back.return_task(engine(), db.session, task_id, current_actor(), target=body["target"],
                                        reason=body["reason"])
        db.session.commit()
        return _reopened(result, case_id)


@blp.route("/tasks/<string:task_id>/withdraw")
class Withdraw(MethodView):
    @blp.arguments(CaseOpReasonSchema)
    @blp.response(200, ReopenedSchema)
    def post(self, body, task_id):
        """撤回：下一环节尚未处理时，办理人取回已办结的任务 / Take a completed task back"""
        result = going_back.withdraw_task(engine(), db.session, task_id, current_actor(), reason=body["reason"])
        case_id = db.session.scalar(select(Event.instance_id).where(Event.task_id == task_id).limit(1))
        db.session.commit()
        return _reopened(result, case_id)


@blp.route("/tasks/done")
class Done(MethodView):
    @blp.response(200, DoneTaskSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """已办：我办结的任务，最新的在前 / Tasks I completed, newest first"""
        statement = (select(Event.id, Event.task_id, Event.node_id, Event.at, Event.instance_id,
                            Instance.case_no, Instance.status, Instance.definition_id)
                     .join(Instance, Instance.id == Event.instance_id)
                     .where(Event.type == "task.completed", Event.actor == current_actor().username))
        pagination_parameters.item_count = total = db.session.scalar(
            select(func.count()).select_from(statement.subquery()))
        if pagination_parameters.first_item >= total:
            return []  # past the end: also keeps absurd page numbers (an OFFSET past 2**63) from the database
        rows = db.session.execute(statement.order_by(Event.id.desc()).offset(pagination_parameters.first_item)
                                  .limit(pagination_parameters.page_size)).all()
        return [_done(row) for row in rows]


def _done(row) -> dict:
    spec = engine().specs.get_by_id(db.session, row.definition_id).spec.task_specs.get(row.node_id)
    return {"task_id": row.task_id, "case_no": row.case_no, "node_id": row.node_id,
            "name": node_config(spec).name if spec is not None else None, "completed_at": row.at,
            "case_status": row.status, "withdrawable": going_back.done_is_withdrawable(engine(), db.session, row)}


def _case_of_open_task(task_id: str) -> int | None:
    return db.session.scalar(select(Task.instance_id).where(Task.id == task_id))


# ----------------------------------------------------------------------------------------- ending a case


@blp.route("/cases/<string:case_no>/terminate")
class Terminate(MethodView):
    @blp.arguments(CaseOpReasonSchema)
    @blp.response(200, CaseDetailSchema)
    def post(self, body, case_no):
        """终止案件：所有待办结束并留痕（领导/管理员） / Terminate a case"""
        case = _visible_case(case_no)
        case_control.terminate_case(engine(), db.session, case.id, current_actor(), reason=body["reason"])
        db.session.commit()
        return _detail(_reload(case))


@blp.route("/cases/<string:case_no>/withdraw")
class WithdrawCase(MethodView):
    @blp.arguments(CaseOpReasonSchema)
    @blp.response(200, CaseDetailSchema)
    def post(self, body, case_no):
        """撤件：上报人在立案前撤回，或指挥中心随时撤件 / Withdraw a case (reporter before filing, or the centre)"""
        case = _visible_case(case_no)
        centre = "case.terminate" in current_principal().permissions
        case_control.withdraw_case(engine(), db.session, case.id, current_actor(), reason=body["reason"],
                                   centre=centre)
        db.session.commit()
        return _detail(_reload(case))


# ----------------------------------------------------------------------------------------- duplicates


@blp.route("/cases/<string:case_no>/duplicates")
class Duplicates(MethodView):
    @blp.response(200, DuplicateSchema(many=True))
    def get(self, case_no):
        """疑似重复案件：同网格、同小类、时间窗口内的在办案件 / Possible duplicates of a case"""
        case = _visible_case(case_no)
        return duplicates.possible_duplicates(db.session.connection(), case.id)


@blp.route("/cases/<string:case_no>/merge")
class Merge(MethodView):
    @blp.arguments(MergeSchema)
    @blp.response(200, MergeResultSchema)
    def post(self, body, case_no):
        """合并重复案件：本案作为重复案件结束 / Merge this case into an earlier one as a duplicate"""
        case = _visible_case(case_no)
        result = duplicates.merge(engine(), db.session, case.id, current_actor(), into_case_no=body["into"],
                                  reason=body["reason"])
        db.session.commit()
        return result
