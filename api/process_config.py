"""流程配置: per-node settings (who, fallback, operations, time limit), suspending versions, migrating cases."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from api.auth import current_actor, require_role
from api.errors import ApiProblem
from api.extensions import db
from api.i18n import pick
from engine import definition_admin, expressions, migration, process_config
from engine.assignment import ERROR_FALLBACK, MAX_LEVELS, PARAMETERS, StrategyKind
from engine.audit import Who, record_change
from engine.deadlines import LIMIT_STAGES
from engine.identity import Org, Role, User
from engine.models import Definition, Instance
from engine.parser import node_config

blp = Blueprint("process_config", __name__, url_prefix="/api/v1",
                description="流程配置：环节办理人、兜底、操作、时限；版本停用/启用；运行中案件迁移 / Process configuration")

CONFIGURERS = ("admin", "designer")
KEY = r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$"
STRATEGY_KINDS = [k.value for k in StrategyKind]
TEMPLATED = (StrategyKind.ROLE, StrategyKind.ORG, StrategyKind.ORG_LEADER, StrategyKind.USER)
KIND_NAMES = {
    "role": ("按角色", "by role"), "org": ("按机构", "by organisation"),
    "org_leader": ("机构负责人", "an organisation's leader"),
    "initiator_leader": ("发起人的上级（N 级）", "the initiator's leader, N levels up"),
    "form_field": ("表单字段指定", "named by a form field"), "expression": ("表达式", "an expression"),
    "dmn": ("决策表（DMN）", "a DMN decision"), "user": ("指定人员", "one person"),
    "error": ("报错（不兜底）", "fail the command"),
}


# --- schemas --------------------------------------------------------------------------------------

class StrategySchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.OneOf(STRATEGY_KINDS),
                         metadata={"description": "role / org / org_leader / initiator_leader / form_field / "
                                                  "expression / dmn / user"})
    role = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "kind=role"})
    org = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "kind=org, org_leader"})
    levels = fields.Integer(validate=validate.Range(min=1, max=MAX_LEVELS),
                            metadata={"description": "kind=initiator_leader：1=发起人直属领导，2=再上一级…"})
    field = fields.String(validate=validate.Length(min=1, max=200),
                          metadata={"description": "kind=form_field：字段值为用户名，或 role:/org: 开头的令牌（可为列表）"})
    expression = fields.String(validate=validate.Length(min=1, max=expressions.MAX_EXPRESSION_LENGTH),
                               metadata={"description": "kind=expression：结果为用户名或 role:/org: 令牌（可为列表）"})
    decision = fields.String(validate=validate.Length(min=1, max=100),
                             metadata={"description": "kind=dmn：随流程部署的决策表 id，结果列 candidates"})
    username = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "kind=user"})


class FallbackSchema(StrategySchema):
    kind = fields.String(required=True, validate=validate.OneOf(STRATEGY_KINDS + [ERROR_FALLBACK]),
                         metadata={"description": "无人可办时：任一策略，或 error（命令失败，返回 422）；"
                                                  "不配置时用泳道角色，否则 admin 角色"})


class NodeSettingSchema(Schema):
    class Meta:
        unknown = RAISE

    candidate_strategy = fields.Nested(StrategySchema, allow_none=True, load_default=None,
                                       metadata={"description": "为空：按 BPMN 的办理人/候选人/泳道"})
    fallback = fields.Nested(FallbackSchema, allow_none=True, load_default=None)
    allowed_operations = fields.List(fields.String(validate=validate.OneOf(list(process_config.OPERATIONS))),
                                     allow_none=True, load_default=None, validate=validate.Length(max=20),
                                     metadata={"description": "为空：全部操作；"
                                               + "、".join(f"{k}={v[0]}" for k, v in process_config.OPERATIONS.items())})
    time_limit = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(list(LIMIT_STAGES)),
                               metadata={"description": "时限代码，替代 BPMN 的 citybpm:timeLimit（与 dueDate）"})


class NodeSettingOutSchema(NodeSettingSchema):
    process_key = fields.String()
    node_id = fields.String()
    configured = fields.Boolean(metadata={"description": "是否有数据库中的配置（否则全按 BPMN）"})
    updated_at = fields.DateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)


class BpmnNodeSchema(Schema):
    name = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    lane_role = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    candidate_users = fields.List(fields.String())
    candidate_groups = fields.List(fields.String())
    form_key = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    time_limit = fields.String(allow_none=True)
    due_date = fields.String(allow_none=True)


class ProcessNodeSchema(Schema):
    node_id = fields.String()
    name = fields.String(allow_none=True)
    subprocess = fields.String(allow_none=True, metadata={"description": "所在子流程（为空：主流程）"})
    bpmn = fields.Nested(BpmnNodeSchema, metadata={"description": "BPMN 文件中的设置"})
    settings = fields.Nested(NodeSettingOutSchema, allow_none=True, metadata={"description": "数据库中的覆盖配置"})


class ProcessNodesSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    nodes = fields.List(fields.Nested(ProcessNodeSchema))


class OptionSchema(Schema):
    code = fields.String()
    name = fields.String()
    parameter = fields.String(allow_none=True)


class OptionsSchema(Schema):
    strategies = fields.List(fields.Nested(OptionSchema))
    fallbacks = fields.List(fields.Nested(OptionSchema))
    operations = fields.List(fields.Nested(OptionSchema))
    time_limits = fields.List(fields.Nested(OptionSchema))


class VersionStatusSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    status = fields.String(metadata={"description": "active / suspended"})
    starts_on = fields.Integer(allow_none=True, metadata={"description": "新案件现在启动的版本（为空：不能启动）"})
    running_cases = fields.Integer(metadata={"description": "该版本上仍在运行的案件数（不受停用影响）"})


class MigrationRequestSchema(Schema):
    from_version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=2147483647))
    to_version = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=2147483647))
    case_nos = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=1000),
                           metadata={"description": "只评估/迁移这些案件；为空：原版本上全部运行中的案件"})


class ReasonSchema(Schema):
    code = fields.String()
    message = fields.String()
    message_zh = fields.String()
    message_en = fields.String()
    node_id = fields.String(allow_none=True)


class NodeChangeSchema(Schema):
    node_id = fields.String()
    name = fields.String(allow_none=True)
    type = fields.String()
    attributes = fields.List(fields.String(), metadata={"description": "变化的属性；citybpm.* 为办理人/表单/时限等设置"})


class SubprocessChangeSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "same / changed / added / removed"})
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    changed = fields.List(fields.String())


class InstancePlanSchema(Schema):
    case_id = fields.Integer()
    case_no = fields.String()
    status = fields.String()
    active_nodes = fields.List(fields.String())
    can_migrate = fields.Boolean()
    reasons = fields.List(fields.Nested(ReasonSchema))


class MigrationPlanSchema(Schema):
    key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    added = fields.List(fields.Nested(NodeChangeSchema))
    removed = fields.List(fields.Nested(NodeChangeSchema))
    changed = fields.List(fields.Nested(NodeChangeSchema))
    subprocesses = fields.List(fields.Nested(SubprocessChangeSchema))
    instances = fields.List(fields.Nested(InstancePlanSchema))


class MigratedSchema(Schema):
    case_id = fields.Integer()
    case_no = fields.String()
    rewritten_tasks = fields.List(fields.String(), metadata={"description": "按新版本改写的待办任务"})


class RefusedSchema(Schema):
    case_id = fields.Integer(allow_none=True)
    case_no = fields.String(allow_none=True)
    reasons = fields.List(fields.Nested(ReasonSchema))


class MigrationReportSchema(Schema):
    key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    migrated = fields.List(fields.Nested(MigratedSchema))
    refused = fields.List(fields.Nested(RefusedSchema))


# --- helpers --------------------------------------------------------------------------------------

def _engine():
    return current_app.extensions["citybpm_engine"]


def _who() -> Who:
    return Who(current_actor().username, request.remote_addr)


def _versions_of(key: str) -> list[Definition]:
    found = db.session.scalars(select(Definition).where(Definition.key == key)
                               .order_by(Definition.version.desc())).all()
    if not found:
        raise ApiProblem(404, "not_found", f"流程“{key}”不存在", f"process '{key}' not found")
    return found


def _version(key: str, version: int) -> Definition:
    found = db.session.scalars(select(Definition).where(Definition.key == key, Definition.version == version)).first()
    if found is None:
        raise ApiProblem(404, "not_found", f"流程“{key}”没有版本 {version}", f"process '{key}' has no version {version}")
    return found


def _user_tasks(loaded) -> list[tuple[object, str | None]]:
    """(spec, subprocess id) of every user task of a version, main process first."""
    found = [(s, None) for s in loaded.spec.task_specs.values() if isinstance(s, UserTask)]
    for name, spec in loaded.subprocess_specs.items():
        found += [(s, name) for s in spec.task_specs.values() if isinstance(s, UserTask)]
    return found


def _find_node(key: str, node_id: str):
    """The node's spec in the newest version that has it (404 when no version does)."""
    for definition in _versions_of(key):
        for spec, _sub in _user_tasks(_engine().specs.get(definition)):
            if spec.name == node_id:
                return definition, spec
    raise ApiProblem(404, "not_found", f"流程“{key}”中没有用户任务“{node_id}”",
                     f"process '{key}' has no user task '{node_id}'")


def _setting_dict(key: str, node_id: str, row) -> dict:
    if row is None:
        return {"process_key": key, "node_id": node_id, "configured": False, "candidate_strategy": None,
                "fallback": None, "allowed_operations": None, "time_limit": None, "updated_at": None,
                "updated_by": None}
    return dict(row.as_dict(), configured=True, updated_at=row.updated_at, updated_by=row.updated_by)


def _field_error(errors: list, field: str, zh: str, en: str) -> None:
    errors.append({"field": field, "message": pick(zh, en)})


def _check_strategy(strategy: dict | None, where: str, definition: Definition, errors: list) -> dict | None:
    """Semantic checks (the schema checked shapes); returns the strategy with only its own parameter."""
    if strategy is None:
        return None
    kind = strategy["kind"]
    parameter = PARAMETERS.get(kind)  # None for the error fallback
    for name in sorted(k for k in strategy if k not in ("kind", parameter)):
        _field_error(errors, f"{where}.{name}", f"“{kind}”不使用此项", f"not used by kind '{kind}'")
    if kind == ERROR_FALLBACK:
        return {"kind": kind}
    value = strategy.get(parameter)
    if value is None:
        if kind == StrategyKind.INITIATOR_LEADER:
            value = 1
        else:
            _field_error(errors, f"{where}.{parameter}", "此项为必填项", "required for this kind")
            return None
    field = f"{where}.{parameter}"
    # a role, organisation or username may hold ${…} parts, evaluated against the task data
    templated = kind in TEMPLATED and expressions.is_template(value)
    if templated or kind == StrategyKind.EXPRESSION:
        try:
            for part in (_template_parts(value) if templated else [value]):
                expressions.compile_expression(part)
        except expressions.ExpressionError as exc:
            _field_error(errors, field, f"表达式有误：{exc.reason}", f"bad expression: {exc.reason}")
    elif kind == StrategyKind.ROLE and db.session.get(Role, value) is None:
        _field_error(errors, field, f"角色“{value}”不存在", f"unknown role '{value}'")
    elif kind in (StrategyKind.ORG, StrategyKind.ORG_LEADER) and db.session.scalar(
            select(Org.id).where(Org.code == value)) is None:
        _field_error(errors, field, f"机构“{value}”不存在", f"unknown organisation '{value}'")
    elif kind == StrategyKind.USER and db.session.scalar(select(User.id).where(User.username == value)) is None:
        _field_error(errors, field, f"用户“{value}”不存在", f"unknown user '{value}'")
    elif kind == StrategyKind.DMN:
        deployed = process_config.decision_ids(_engine().specs.get(definition).xml_by_file)
        if value not in deployed:
            _field_error(errors, field, f"决策表“{value}”未随该流程部署（可用：{', '.join(deployed) or '无'}）",
                         f"decision '{value}' is not deployed with this process (have: {', '.join(deployed) or 'none'})")
    elif kind == StrategyKind.FORM_FIELD and not all(part.isidentifier() for part in value.split(".")):
        _field_error(errors, field, "字段名格式有误", "not a field name")
    return {"kind": kind, parameter: value}


def _template_parts(template: str) -> list[str]:
    """The expressions inside ``${…}`` of a template (an unclosed one is refused like at run time)."""
    parts, rest = [], template
    while "${" in rest:
        _before, _, after = rest.partition("${")
        inner, closing, rest = after.partition("}")
        if not closing:
            raise expressions.ExpressionError(template, "unclosed '${'")
        parts.append(inner)
    return parts


# --- node settings --------------------------------------------------------------------------------

@blp.route("/processes/config-options")
class Options(MethodView):
    @blp.response(200, OptionsSchema)
    def get(self):
        """可选的办理人策略、兜底方式、操作与时限代码 / What a node setting may say"""
        def named(code, names, parameter=None):
            return {"code": code, "name": pick(*names), "parameter": parameter}
        return {
            "strategies": [named(k, KIND_NAMES[k], PARAMETERS[StrategyKind(k)]) for k in STRATEGY_KINDS],
            "fallbacks": [named(k, KIND_NAMES[k], PARAMETERS.get(StrategyKind(k)) if k != ERROR_FALLBACK else None)
                          for k in STRATEGY_KINDS + [ERROR_FALLBACK]],
            "operations": [named(k, v) for k, v in process_config.OPERATIONS.items()],
            "time_limits": [named(k, v) for k, v in LIMIT_STAGES.items()],
        }


@blp.route("/processes/<string:process_key>/nodes")
class ProcessNodes(MethodView):
    @blp.response(200, ProcessNodesSchema)
    def get(self, process_key):
        """最新版本的用户任务：BPMN 中的设置与数据库中的覆盖配置 / User tasks of the latest version"""
        latest = _versions_of(process_key)[0]
        rows = {r.node_id: r for r in db.session.scalars(
            select(process_config.NodeSetting).where(process_config.NodeSetting.process_key == process_key))}
        nodes = []
        for spec, subprocess in _user_tasks(_engine().specs.get(latest)):
            config = node_config(spec)
            row = rows.get(spec.name)
            nodes.append({"node_id": spec.name, "name": config.name or spec.bpmn_name, "subprocess": subprocess,
                          "bpmn": {"name": config.name, "lane": config.lane, "lane_role": config.lane_role,
                                   "assignee": config.assignee, "candidate_users": list(config.candidate_users),
                                   "candidate_groups": list(config.candidate_groups), "form_key": config.form_key,
                                   "stage": config.stage, "time_limit": config.time_limit,
                                   "due_date": config.due_date},
                          "settings": _setting_dict(process_key, spec.name, row) if row is not None else None})
        return {"key": process_key, "version": latest.version, "nodes": nodes}


@blp.route("/processes/<string:process_key>/nodes/<string:node_id>/settings")
class NodeSettings(MethodView):
    @blp.response(200, NodeSettingOutSchema)
    def get(self, process_key, node_id):
        """一个环节的配置（未配置时各项为空：全按 BPMN） / One node's setting"""
        _find_node(process_key, node_id)
        return _setting_dict(process_key, node_id, process_config.get_setting(db.session, process_key, node_id))

    @blp.arguments(NodeSettingSchema)
    @blp.response(200, NodeSettingOutSchema)
    def put(self, body, process_key, node_id):
        """设置环节的办理人策略、兜底、允许的操作与时限代码（对之后产生的任务生效） / Set a node's configuration"""
        require_role(*CONFIGURERS)
        definition, _spec = _find_node(process_key, node_id)
        errors: list = []
        strategy = _check_strategy(body["candidate_strategy"], "candidate_strategy", definition, errors)
        fallback = _check_strategy(body["fallback"], "fallback", definition, errors)
        if errors:
            raise ApiProblem(422, "validation_failed", "请求数据未通过校验", "the request data is invalid", errors)
        who = _who()
        try:
            row = process_config.save_setting(
                db.session, process_key, node_id, candidate_strategy=strategy, fallback=fallback,
                allowed_operations=body["allowed_operations"], time_limit=body["time_limit"], actor=who.username,
                audit=lambda before, after: record_change(db.session, who, "process.node_setting", "node_setting",
                                                          f"{process_key}:{node_id}", before, after))
            db.session.commit()
        except IntegrityError:  # two first saves of one node at once: unique (process_key, node_id)
            db.session.rollback()
            raise ApiProblem(409, "conflict", "该环节的配置刚被他人修改，请刷新后重试",
                             "this node's setting was just changed by someone else; reload and retry") from None
        process_config.SETTINGS.invalidate()
        return _setting_dict(process_key, node_id, row)

    @blp.response(204)
    def delete(self, process_key, node_id):
        """删除环节配置（恢复为 BPMN 的设置） / Remove a node's configuration"""
        require_role(*CONFIGURERS)
        who = _who()
        found = process_config.delete_setting(
            db.session, process_key, node_id,
            audit=lambda before, after: record_change(db.session, who, "process.node_setting", "node_setting",
                                                      f"{process_key}:{node_id}", before, after))
        if not found:
            raise ApiProblem(404, "not_found", "该环节没有配置", "this node has no setting")
        db.session.commit()
        process_config.SETTINGS.invalidate()


# --- versions -------------------------------------------------------------------------------------

def _set_status(key: str, version: int, status: str) -> dict:
    require_role(*CONFIGURERS)
    result = definition_admin.set_status(db.session, key, version, status, _who(), engine=_engine())
    db.session.commit()
    return result


@blp.route("/definitions/<string:key>/versions/<int(max=2147483647):version>/suspend")
class SuspendVersion(MethodView):
    @blp.response(200, VersionStatusSchema)
    def post(self, key, version):
        """停用一个版本：不再以它启动新案件，运行中的案件照常办理 / Suspend a version"""
        return _set_status(key, version, definition_admin.SUSPENDED)


@blp.route("/definitions/<string:key>/versions/<int(max=2147483647):version>/activate")
class ActivateVersion(MethodView):
    @blp.response(200, VersionStatusSchema)
    def post(self, key, version):
        """启用一个版本 / Activate a version"""
        return _set_status(key, version, definition_admin.ACTIVE)


# --- migrations -----------------------------------------------------------------------------------

def _with_messages(reasons: list[dict]) -> list[dict]:
    return [dict(r, message=pick(r["message_zh"], r["message_en"])) for r in reasons]


def _case_ids(definition: Definition, case_nos: list[str] | None) -> tuple[list[int] | None, list[str]]:
    """Ids of the named cases on ``definition`` (None: all of them), and the numbers not found there."""
    if case_nos is None:
        return None, []
    rows = dict(db.session.execute(select(Instance.case_no, Instance.id).where(
        Instance.case_no.in_(case_nos), Instance.definition_id == definition.id)).all())
    return [rows[n] for n in case_nos if n in rows], [n for n in case_nos if n not in rows]


def _not_on_source(case_nos: list[str]) -> list[dict]:
    return [{"case_id": None, "case_no": n, "reasons": _with_messages([{
        "code": "not_on_source", "message_zh": "案件不存在或不在原版本上", "node_id": None,
        "message_en": "no such case on the source version"}])} for n in case_nos]


def _plan(key: str, body: dict):
    source, target = _version(key, body["from_version"]), _version(key, body["to_version"])
    ids, missing = _case_ids(source, body.get("case_nos"))
    plan = migration.plan_migration(db.session, source.id, target.id, specs=_engine().specs, case_ids=ids)
    return plan, ids, missing


@blp.route("/definitions/<string:key>/migrations/plan")
class PlanMigration(MethodView):
    @blp.arguments(MigrationRequestSchema)
    @blp.response(200, MigrationPlanSchema)
    def post(self, body, key):
        """评估迁移：两个版本的差异，以及每个运行中案件能否迁移（不能时给出原因） / Plan a migration"""
        require_role(*CONFIGURERS)
        plan, _ids, missing = _plan(key, body)
        db.session.rollback()  # nothing was written; release the read transaction
        result = plan.as_dict()
        for item in result["instances"]:
            item["reasons"] = _with_messages(item["reasons"])
        result["instances"] += [{"case_id": None, "case_no": n, "status": None, "active_nodes": [],
                                 "can_migrate": False, "reasons": r["reasons"]} for n, r in
                                zip(missing, _not_on_source(missing))]
        return result


@blp.route("/definitions/<string:key>/migrations")
class Migrations(MethodView):
    @blp.arguments(MigrationRequestSchema)
    @blp.response(200, MigrationReportSchema)
    def post(self, body, key):
        """迁移运行中的案件到新版本：安全的逐个迁移（各自一个事务），不安全的拒绝并说明原因 / Migrate cases"""
        require_role(*CONFIGURERS)
        plan, ids, missing = _plan(key, body)
        report = migration.migrate_instances(db.session, plan, ids, current_actor(), engine=_engine())
        result = report.as_dict()
        for item in result["refused"]:
            item["reasons"] = _with_messages(item["reasons"])
        result["refused"] += _not_on_source(missing)
        return result

