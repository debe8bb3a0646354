"""Roles, the demo organisation tree and one demo user per role (never in production)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import hash_password
from engine.deadlines import TimeLimit
from engine.identity import Membership, Org, Role, User, UserRole

ROLES = {
    "admin": "系统管理员",
    "designer": "流程设计员",
    "supervisor": "监督员",
    "acceptor": "受理员",
    "shift_leader": "值班长",
    "dispatcher": "派遣员",
    "handler": "专业部门处置人员",
    "leader": "领导",
}

# code, name, kind, parent code
ORGS = [
    ("CITY", "示范市", "city", None),
    ("CENTRE", "城市运行管理服务指挥中心", "centre", "CITY"),
    ("DIST_A", "东城区", "district", "CITY"),
    ("D_WATER", "水务局", "department", "CITY"),
    ("D_ROADS", "市政设施管理处", "department", "CITY"),
    ("D_SANITATION", "环卫处", "department", "CITY"),
    ("D_GREEN", "园林绿化局", "department", "CITY"),
    ("D_ENFORCE", "城管执法局", "department", "CITY"),
]

DEMO_PASSWORD = "citybpm123"

# username, display name, roles, organisations
DEMO_USERS = [
    ("admin", "系统管理员", ["admin", "designer"], ["CENTRE"]),
    ("jdy", "张监督（监督员）", ["supervisor"], ["DIST_A"]),
    ("jdy2", "钱监督（监督员）", ["supervisor"], ["DIST_A"]),
    ("sly", "李受理（受理员）", ["acceptor"], ["CENTRE"]),
    ("zbz", "王值班（值班长）", ["shift_leader"], ["CENTRE"]),
    ("pqy", "赵派遣（派遣员）", ["dispatcher"], ["CENTRE"]),
    ("sw", "孙水务（水务局）", ["handler"], ["D_WATER"]),
    ("sz", "周市政（市政设施管理处）", ["handler"], ["D_ROADS"]),
    ("hw", "吴环卫（环卫处）", ["handler"], ["D_SANITATION"]),
    ("yl", "郑园林（园林绿化局）", ["handler"], ["D_GREEN"]),
    ("zf", "冯执法（城管执法局）", ["handler"], ["D_ENFORCE"]),
    ("rx", "陈热线（12345 接口）", ["acceptor"], ["CENTRE"]),
]


# Stage defaults (DOMAIN §1): the centre works in shifts, so its limits run on clock time (紧急工作时);
# departments work in working time. Per-category 处置时限 come from the city's 立结案标准.
STAGE_LIMITS = [
    ("verify", None, 0.5, "urgent_hours", "核实 30 分钟"),
    ("accept", None, 0.25, "urgent_hours", "受理 15 分钟"),
    ("file", None, 0.5, "urgent_hours", "立案（与派遣合计 1 小时）"),
    ("dispatch", None, 0.5, "urgent_hours", "派遣（与立案合计 1 小时）"),
    ("sign", None, 1, "work_hours", "签收 1 工作时"),
    ("handle", None, 1, "work_days", "处置默认 1 工作日"),
    ("feedback", None, 2, "work_hours", "反馈 2 工作时"),
    ("check", None, 0.5, "urgent_hours", "核查 30 分钟"),
    ("close", None, 1, "urgent_hours", "结案 1 小时"),
    ("case", None, 3, "work_days", "全案 3 工作日（立案至结案）"),
]
DEMO_CATEGORY_LIMITS = [
    ("handle", "0101", 4, "urgent_hours", "上水井盖：4 紧急工作时（安全隐患）"),
    ("handle", "0102", 4, "urgent_hours", "污水井盖：4 紧急工作时"),
    ("handle", "0103", 4, "urgent_hours", "雨水井盖：4 紧急工作时"),
    ("handle", "0110", 2, "work_days", "路灯：2 工作日"),
    ("handle", "1001", 2, "work_hours", "暴露垃圾：2 工作时"),
    ("handle", "1101", 1, "work_days", "店外经营：1 工作日"),
    ("handle", "1102", 1, "work_days", "占道经营：1 工作日"),
]


def seed_time_limits(session: Session, rows) -> int:
    existing = {(r.stage, r.category_code) for r in session.scalars(select(TimeLimit))}
    new = [TimeLimit(stage=stage, category_code=code, amount=amount, unit=unit, note=note)
           for stage, code, amount, unit, note in rows if (stage, code) not in existing]
    session.add_all(new)
    session.flush()
    return len(new)


def seed_roles(session: Session) -> None:
    existing = set(session.scalars(select(Role.code)))
    session.add_all(Role(code=code, name=name) for code, name in ROLES.items() if code not in existing)
    session.flush()


def seed_orgs(session: Session) -> None:
    by_code = {org.code: org for org in session.scalars(select(Org))}
    for code, name, kind, parent in ORGS:
        if code not in by_code:
            org = Org(code=code, name=name, kind=kind, parent_id=by_code[parent].id if parent else None)
            session.add(org)
            session.flush()
            by_code[code] = org


def seed_demo_users(session: Session, password: str = DEMO_PASSWORD) -> int:
    existing = set(session.scalars(select(User.username)))
    created = 0
    password_hash = hash_password(password)
    for username, display_name, roles, orgs in DEMO_USERS:
        if username in existing:
            continue
        user = User(username=username, display_name=display_name, password_hash=password_hash, is_active=True)
        user.roles = [UserRole(role_code=r) for r in roles]
        user.memberships = [Membership(org_code=o) for o in orgs]
        session.add(user)
        created += 1
    session.flush()
    return created
