"""Tasks: the inbox (mine / candidate), one task with its data and form, claim, complete."""
from __future__ import annotations

from uuid import UUID

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.visibility import tasks_visible_to
from api.auth import current_actor, current_principal
from api.i18n import pick
from api.extensions import db
from api.pagination import page_of
from engine import clock
from engine.access import may_act
from engine.deadlines import Light, light, light_condition
from engine.models import Instance, Task
from engine.operations import allowed
from engine.projection import json_safe
from forms.permissions import PERMISSION_BOOK, rewrite_for_node, visible_data
from forms.store import PUBLISHED_FORMS

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="任务 / Tasks")


class TaskSummarySchema(Schema):
    id = fields.String()
    case_no = fields.String()
    node_id = fields.String()
    name = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    case_status = fields.String(metadata={"description": "案件状态：running；suspended（挂账或暂停：计时停止，不亮灯）"})
    candidates = fields.List(fields.String())
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    warn_at = fields.DateTime(allow_none=True)
    light = fields.String(allow_none=True, metadata={"description": "green / yellow / red（无时限为空）"})
    actionable = fields.Boolean()
    status = fields.String(metadata={"description": "open：可办理；waiting：等待加签人签署"})
    kind = fields.String(metadata={"description": "bpmn：流程任务；sign：加签任务（签署后交回原任务）"})
    parent_id = fields.String(allow_none=True, metadata={"description": "加签任务所属的任务"})
    sign_position = fields.String(allow_none=True, metadata={"description": "before：前加签；after：后加签"})
    owner = fields.String(allow_none=True, metadata={"description": "委派人（委派中/已交回时）；加签任务：加签的人"})
    delegation = fields.String(allow_none=True, metadata={"description": "pending：委派中；resolved：已交回委派人"})


class OperationSchema(Schema):
    code = fields.String(metadata={"description": "操作代码，如 transfer、add_sign"})
    name = fields.String(metadata={"description": "按 Accept-Language 的名称"})
    name_zh = fields.String()
    name_en = fields.String()


class TaskDetailSchema(TaskSummarySchema):
    data = fields.Dict(metadata={"description": "任务数据（本环节隐藏的字段不返回）"})
    form = fields.Dict(allow_none=True, metadata={"description": "按本环节权限改写的表单：只读字段标记 readonly，隐藏字段移除"})
    form_version = fields.Integer(allow_none=True)
    field_permissions = fields.Dict(keys=fields.String(), values=fields.String())
    operations = fields.List(fields.Nested(OperationSchema),
                             metadata={"description": "当前用户现在可对本任务执行的操作（环节配置、权限与任务状态共同决定）"})


class TaskListQuerySchema(Schema):
    scope = fields.String(validate=validate.OneOf(["mine", "candidate", "all"]), load_default="all")
    stage = fields.String(validate=validate.Length(max=20))
    case_no = fields.String(validate=validate.Length(max=40))
    category_code = fields.String(validate=validate.Length(max=40), metadata={"description": "案件的分类编码"})
    grid_code = fields.String(validate=validate.Length(max=40), metadata={"description": "案件的单元网格编码"})
    light = fields.String(validate=validate.OneOf(Light.ALL))
    sort = fields.String(validate=validate.OneOf(["created", "due"]), load_default="created",
                         metadata={"description": "created：先到先办；due：最紧急的在前（无时限的排最后）"})


class ExtendSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    amount = fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=10_000),
                          metadata={"description": "延期时长（原时限的单位），默认等于原时限"})


class ExtendResultSchema(Schema):
    due_at = fields.DateTime()
    warn_at = fields.DateTime()
    extensions = fields.Integer()


class CompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)), load_default=dict)


# The permission each task operation needs (the API's check; engine.operations.allowed adds the node and the state).
OPERATION_PERMISSIONS = {code: "task.work" for code in (*allowed.OPERATIONS, *allowed.STATE_OPERATIONS)}
OPERATION_PERMISSIONS["urge"] = "task.urge"


def engine():
    return current_app.extensions["citybpm_engine"]


def operations_for(task: Task, spec) -> list[dict]:
    """What the caller may apply to the task now: exactly the operations that would succeed."""
    permissions = current_principal().permissions
    context = allowed.TaskContext(db.session.connection(), task, current_actor(), clock.now(), spec)
    codes = allowed.available(context, task.instance.definition_id, lambda p: p is None or p in permissions,
                              lambda code: OPERATION_PERMISSIONS.get(code, "task.work"))
    return [{"code": code, "name": pick(*allowed.label(code)), "name_zh": allowed.label(code)[0],
             "name_en": allowed.label(code)[1]} for code in codes]


def summary(task: Task) -> dict:
    return {"id": task.id, "case_no": task.instance.case_no, "node_id": task.node_id, "name": task.name,
            "stage": task.stage, "form_key": task.form_key, "assignee": task.assignee,
            "candidates": [f"{c.kind}:{c.value}" for c in task.candidates],
            "created_at": task.created_at, "due_at": task.due_at, "warn_at": task.warn_at,
            # a paused case's clock stands still: no light until it resumes (and its due times move)
            "light": light(clock.now(), task.warn_at, task.due_at) if task.instance.status == "running" else None,
            "case_status": task.instance.status, "actionable": True,
            "status": task.status, "kind": task.kind, "parent_id": task.parent_id,
            "sign_position": task.sign_position, "owner": task.owner, "delegation": task.delegation}


def open_tasks_of(result) -> list[dict]:
    """The case's open tasks after a command: as the engine wrote them, or from the projection."""
    actor = current_actor()
    if result.open_tasks is not None:
        now = clock.now()
        return [dict(row, actionable=_may_act(row, actor), light=light(now, row["warn_at"], row["due_at"]))
                for row in result.open_tasks]
    rows = db.session.scalars(select(Task).where(Task.instance_id == result.case_id)
                              .options(selectinload(Task.candidates)).order_by(Task.created_at, Task.id)).all()
    return [dict(summary(t), actionable=engine().can_see(t, actor)) for t in rows]


def _may_act(row: dict, actor) -> bool:
    return may_act(row["assignee"], [tuple(c.split(":", 1)) for c in row["candidates"]], actor)


@blp.route("")
class Tasks(MethodView):
    @blp.arguments(TaskListQuerySchema, location="query")
    @blp.response(200, TaskSummarySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """待办：我的（已签收）/ 可签收 / 全部 / The inbox"""
        statement = select(Task).where(tasks_visible_to(current_actor(), query["scope"]))
        if query.get("stage"):
            statement = statement.where(Task.stage == query["stage"])
        if query.get("light"):
            statement = statement.where(light_condition(Task.warn_at, Task.due_at, query["light"], clock.now()))
        case_filters = [getattr(Instance, name) == query[name] for name in ("case_no", "category_code", "grid_code")
                        if query.get(name)]
        if case_filters:
            statement = statement.join(Instance, Instance.id == Task.instance_id).where(*case_filters)
        order = ((Task.due_at.is_(None), Task.due_at, Task.id) if query["sort"] == "due"
                 else (Task.created_at, Task.id))
        rows = page_of(statement.options(selectinload(Task.candidates)), pagination_parameters, *order)
        return [summary(t) for t in rows]


@blp.route("/<string:task_id>")
class TaskDetail(MethodView):
    @blp.response(200, TaskDetailSchema)
    def get(self, task_id):
        """任务详情：数据与表单 / A task with its data and form"""
        task = engine().visible_task(db.session, task_id, current_actor())
        workflow = engine().workflow_of(db.session, task.instance)
        # an added signer reads the data of the task they sign for
        spiff_task = workflow.get_task_from_id(UUID(task.parent_id or task.id))
        detail = summary(task)
        permissions = PERMISSION_BOOK.for_node(db.session, task.instance.definition.key, task.node_id)
        detail["field_permissions"] = permissions
        detail["form_version"] = task.form_version
        detail["data"] = visible_data(json_safe(spiff_task.data if spiff_task else {}), permissions)
        schema = (PUBLISHED_FORMS.schema(db.session, task.form_key, task.form_version)
                  if task.form_key and task.form_version else None)
        detail["form"] = rewrite_for_node(schema, permissions) if schema else None
        spec = spiff_task.task_spec if spiff_task is not None else None
        detail["operations"] = operations_for(task, spec)
        return detail


@blp.route("/<string:task_id>/claim")
class Claim(MethodView):
    @blp.response(200, TaskSummarySchema)
    def post(self, task_id):
        """签收任务 / Claim a task"""
        task = engine().claim_task(db.session, task_id, current_actor())
        db.session.commit()
        return summary(task)


@blp.route("/<string:task_id>/complete")
class Complete(MethodView):
    @blp.arguments(CompleteSchema)
    @blp.response(200, TaskSummarySchema(many=True))
    def post(self, body, task_id):
        """办结任务（提交表单数据）；返回案件新产生的待办 / Complete a task; returns the case's open tasks"""
        result = engine().complete_task(db.session, task_id, body["data"], current_actor())
        db.session.commit()
        return open_tasks_of(result)




@blp.route("/<string:task_id>/extend")
class Extend(MethodView):
    @blp.arguments(ExtendSchema)
    @blp.response(200, ExtendResultSchema)
    def post(self, body, task_id):
        """批准延期（值班长/领导）：最多两次，每次不超过原时限，超时后不可延期 / Grant an extension"""
        result = engine().extend_task(db.session, task_id, current_actor(), reason=body["reason"],
                                      amount=body.get("amount"))
        db.session.commit()
        return result
