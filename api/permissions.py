"""The permission catalog, which permission every API operation needs, and the default roles.

Every endpoint is covered by ``permission_for(endpoint, method)``: a blueprint's
reads need its ``read`` permission and its changes its ``manage`` one, with the
exceptions listed. An endpoint the table does not know is refused (deny by
default), and a test checks that every registered route is known.
"""
from __future__ import annotations

# code -> (zh, en)
CATALOG: dict[str, tuple[str, str]] = {
    "case.read": ("查看案件", "read cases"),
    "case.start": ("上报/立案（发起案件）", "start cases"),
    "case.suspend": ("挂账、暂停与恢复案件", "pause and resume cases"),
    "case.message": ("向案件发送消息", "send messages to cases"),
    "case.subscribe": ("订阅案件状态（Webhook）", "subscribe to case changes"),
    "task.read": ("查看任务", "read tasks"),
    "task.work": ("签收、办理任务", "claim and complete tasks"),
    "task.extend": ("批准延期", "grant extensions"),
    "task.urge": ("催办", "urge handlers"),
    "case.terminate": ("终止案件、撤件", "terminate and withdraw cases"),
    "case.supervise": ("督办", "flag cases for supervision"),
    "case.merge": ("合并重复案件", "merge duplicate cases"),
    "definition.read": ("查看流程定义", "read process definitions"),
    "definition.deploy": ("部署流程", "deploy processes"),
    "definition.manage": ("停用/启用流程版本、迁移运行中案件", "suspend versions, migrate running cases"),
    "process.read": ("查看流程环节配置", "read node configuration"),
    "process.configure": ("配置流程环节（办理人、字段权限、操作）", "configure process nodes"),
    "form.read": ("查看表单", "read forms"),
    "form.design": ("设计表单（草稿、导入）", "design forms"),
    "form.publish": ("发布表单", "publish forms"),
    "calendar.read": ("查看工作日历", "read calendars"),
    "calendar.manage": ("维护工作日历", "manage calendars"),
    "time_limit.read": ("查看时限标准", "read time limits"),
    "time_limit.manage": ("维护时限标准与超时处理", "manage time limits and overdue policies"),
    "notification.read": ("查看自己的通知", "read own notifications"),
    "delivery.read": ("查看消息投递日志", "read the delivery log"),
    "org.read": ("查看机构", "read organisations"),
    "org.manage": ("机构配置", "manage organisations"),
    "user.read": ("查看人员", "read people"),
    "user.manage": ("人员配置（含离职转办）", "manage people (including hand-over)"),
    "role.read": ("查看角色与权限", "read roles"),
    "role.manage": ("权限配置", "manage roles and permissions"),
    "token.manage": ("创建与吊销 API 令牌", "create and revoke API tokens"),
    "audit.read": ("查看审计日志", "read the audit log"),
    "setting.read": ("查看系统参数", "read system settings"),
    "setting.manage": ("系统配置", "manage system settings"),
    "catalog.read": ("查看部件/事件分类与网格", "read the category catalog and grids"),
    "catalog.manage": ("维护分类、立结案标准与网格", "manage the category catalog and grids"),
    "evaluation.read": ("查看考核配置与报表", "read evaluation settings and reports"),
    "evaluation.manage": ("统计配置（权重）", "manage evaluation weights"),
    # issue 7: 城管综合执法
    "law.read": ("查看法律法规库", "read the law library"),
    "law.manage": ("维护法律法规库（案由、违则、罚则、裁量基准）", "manage the law library"),
    "document.read": ("查看执法文书", "read enforcement documents"),
    "document.manage": ("维护文书类型与编号格式", "manage document types and number patterns"),
    "enforcement.start": ("发起执法案件（双流程派遣）", "open enforcement cases from disposal cases"),
    # issue 10: GET /metrics (Prometheus) with a user's token
    "system.monitor": ("查看运行监控指标", "read the operational metrics (/metrics)"),
}

# blueprint -> (permission for reads, permission for changes); None = any authenticated user
BLUEPRINTS: dict[str, tuple[str | None, str | None]] = {
    "auth": (None, None),
    "cases": ("case.read", "case.start"),
    "tasks": ("task.read", "task.work"),
    "definitions": ("definition.read", "definition.deploy"),
    "forms": ("form.read", "form.design"),
    "calendars": ("calendar.read", "calendar.manage"),
    "time_limits": ("time_limit.read", "time_limit.manage"),
    "notifications": ("notification.read", "notification.read"),
    "subscriptions": ("case.subscribe", "case.subscribe"),
    "deliveries": ("delivery.read", "delivery.read"),
    "orgs": ("org.read", "org.manage"),
    "users": ("user.read", "user.manage"),
    "audit": ("audit.read", "audit.read"),
    "roles": ("role.read", "role.manage"),
    "tokens": ("token.manage", "token.manage"),
    "settings": ("setting.read", "setting.manage"),
    "catalog": ("catalog.read", "catalog.manage"),
    "evaluation_config": ("evaluation.read", "evaluation.manage"),
    "evaluation_views": ("evaluation.read", "evaluation.read"),
    "evaluation": ("evaluation.read", "evaluation.read"),
    "process_config": ("process.read", "process.configure"),
    # issue 6: task and case operations (the exceptions below name the stricter ones)
    "task_ops": ("task.read", "task.work"),
    "copies": ("task.read", "task.read"),
    "case_ops": ("case.read", "task.work"),
    "approvals": ("task.read", "task.work"),
    # issue 7: 法律法规库, 文书, 双流程派遣 (linked cases are read like the case itself)
    "laws": ("law.read", "law.manage"),
    "documents": ("document.read", "document.manage"),
    "enforcement_links": ("case.read", "enforcement.start"),
    "dispatch_rules": ("definition.read", "definition.deploy"),
    # issue 8: what the web pages need (diagram marks, workbench counts)
    "case_diagram": ("case.read", "case.read"),
    "inbox_counts": ("task.read", "task.read"),
    "live": ("task.read", "task.read"),
    # uploading needs case.start or task.work: checked in api/attachments.py (one permission cannot say "either")
    "attachments": ("case.read", None),
}

# (endpoint, method) -> permission, where the blueprint's rule is not the right one
EXCEPTIONS: dict[tuple[str, str], str | None] = {
    ("cases.Suspend", "POST"): "case.suspend",
    ("cases.Resume", "POST"): "case.suspend",
    ("cases.Messages", "POST"): "case.message",
    ("tasks.Extend", "POST"): "task.extend",
    ("forms.Publish", "POST"): "form.publish",
    ("forms.Validate", "POST"): "form.read",
    ("forms.FieldPermissions", "GET"): "process.read",
    ("forms.FieldPermissions", "PUT"): "process.configure",
    ("calendars.Compute", "POST"): "calendar.read",
    ("process_config.SuspendVersion", "POST"): "definition.manage",
    ("process_config.ActivateVersion", "POST"): "definition.manage",
    ("process_config.PlanMigration", "POST"): "definition.manage",
    ("process_config.Migrations", "POST"): "definition.manage",
    # issue 6, case operations (api/case_operations.py). 撤件 needs only case.start: the engine lets the reporter
    # withdraw before filing and anyone holding case.terminate (the centre) at any time.
    ("case_ops.Terminate", "POST"): "case.terminate",
    ("case_ops.WithdrawCase", "POST"): "case.start",
    ("case_ops.Merge", "POST"): "case.merge",
    ("case_ops.ReturnTargets", "GET"): "task.read",
    ("case_ops.Done", "GET"): "task.read",
    # 延期/挂账 approval, 催办, 督办 (api/approvals.py): approving also needs the kind's own permission
    # (task.extend or case.suspend), which engine.operations.approvals checks per request
    ("approvals.Approve", "POST"): "task.read",
    ("approvals.Reject", "POST"): "task.read",
    ("approvals.Urge", "POST"): "task.urge",
    ("approvals.Supervise", "POST"): "case.supervise",
    ("approvals.LiftSupervision", "POST"): "case.supervise",
    # trying the dispatch rules changes nothing
    ("dispatch_rules.Evaluate", "POST"): "definition.read",
}

READS = ("GET",)
PUBLIC_ENDPOINTS = {"auth.Login", "auth.Session", "api-docs.openapi_json"}


class UnknownEndpoint(LookupError):
    pass


def permission_for(endpoint: str, method: str) -> str | None:
    """The permission an operation needs (None: any authenticated user). Raises UnknownEndpoint."""
    if (endpoint, method) in EXCEPTIONS:
        return EXCEPTIONS[(endpoint, method)]
    blueprint = endpoint.split(".", 1)[0]
    if blueprint not in BLUEPRINTS:
        raise UnknownEndpoint(endpoint)
    read, change = BLUEPRINTS[blueprint]
    return read if method in READS else change


# The seeded roles: (name, data scope, permissions). Admins edit them at /api/v1/roles.
_WORKER = ["case.read", "case.subscribe", "task.read", "task.work", "form.read", "definition.read",
           "time_limit.read", "calendar.read", "notification.read", "org.read", "catalog.read"]
_CENTRE = _WORKER + ["case.start", "case.message", "case.subscribe", "user.read", "law.read", "document.read"]
DEFAULT_ROLES: dict[str, tuple[str, str, list[str]]] = {
    "admin": ("系统管理员", "all", sorted(CATALOG)),
    "designer": ("流程设计员", "self", ["definition.read", "definition.deploy", "definition.manage",
                                      "process.read", "process.configure", "form.read", "form.design",
                                      "form.publish", "calendar.read", "time_limit.read", "case.read",
                                      "notification.read", "org.read", "catalog.read", "role.read"]),
    "leader": ("领导", "all", sorted(set(_CENTRE + ["case.suspend", "task.extend", "evaluation.read",
                                                  "delivery.read", "process.read", "task.urge", "case.supervise",
                                                  "case.terminate"]))),
    "shift_leader": ("值班长", "all", sorted(set(_CENTRE + ["case.suspend", "task.extend", "process.read",
                                                         "task.urge", "case.terminate", "case.merge"]))),
    "acceptor": ("受理员", "all", sorted(_CENTRE + ["case.merge", "task.urge"])),
    "dispatcher": ("派遣员", "all", sorted(_CENTRE + ["task.urge", "enforcement.start"])),
    "supervisor": ("监督员", "self", sorted(_WORKER + ["case.start"])),
    # 执法 handlers (D_ENFORCE) pick causes, read the documents they issue and open enforcement cases
    "handler": ("专业部门处置人员", "org_tree", sorted(_WORKER + ["law.read", "document.read", "enforcement.start"])),
}
