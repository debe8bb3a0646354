"""Roles, the demo organisation tree and one demo user per role (never in production)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import hash_password
from api.permissions import DEFAULT_ROLES
from engine import clock
from engine.deadlines import TimeLimit
from engine.rbac import RoleGrant
from engine.identity import Membership, Org, Role, User, UserRole
from engine.org_service import path_for

# code, name, kind, parent code (listed parents first; the list order is the display order)
ORGS = [
    ("CITY", "示范市", "city", None),
    ("CENTRE", "城市运行管理服务指挥中心", "centre", "CITY"),
    ("DIST_A", "东城区", "district", "CITY"),
    ("ST_HEPING", "和平街道", "street", "DIST_A"),
    ("CM_HEPING", "和平社区", "community", "ST_HEPING"),
    ("D_WATER", "水务局", "department", "CITY"),
    ("T_WATER_PIPE", "管网养护队", "team", "D_WATER"),
    ("D_ROADS", "市政设施管理处", "department", "CITY"),
    ("D_SANITATION", "环卫处", "department", "CITY"),
    ("D_GREEN", "园林绿化局", "department", "CITY"),
    ("D_ENFORCE", "城管执法局", "department", "CITY"),
    ("DIST_B", "西城区", "district", "CITY"),
    ("ST_XINJIE", "新街口街道", "street", "DIST_B"),
]

# unit grids (万米单元网格, 15 digits) served by the territorial units
DEMO_GRIDS = {
    "DIST_A": ["110101001001001", "110101001001002", "110101001002001", "110101002001001"],
    "ST_HEPING": ["110101001001001", "110101001001002", "110101001002001"],
    "CM_HEPING": ["110101001001001", "110101001001002"],
    "DIST_B": ["110102001001001", "110102001001002"],
    "ST_XINJIE": ["110102001001001", "110102001001002"],
}

# organisation → its leader (a demo user); 东城区 has none, so "the leader above" a district person is the city's
DEMO_LEADERS = {
    "CITY": "ld",
    "CENTRE": "ld",
    "D_WATER": "swld",
    "T_WATER_PIPE": "gw",
    "D_ROADS": "sz",
    "D_SANITATION": "hw",
    "D_GREEN": "yl",
    "D_ENFORCE": "zf",
}

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
    ("zf", "冯执法（城管执法局）", ["handler", "enforce_officer"], ["D_ENFORCE"]),
    ("rx", "陈热线（12345 接口）", ["acceptor"], ["CENTRE"]),
    ("ld", "刘领导（指挥中心领导）", ["leader"], ["CENTRE"]),
    ("swld", "何局长（水务局局长）", ["leader", "handler"], ["D_WATER"]),
    ("gw", "马队长（管网养护队）", ["handler"], ["T_WATER_PIPE"]),
    # dispatch variants: territorial units (事件先属地) and the coordinating level of 跨区域派遣
    ("hp", "林街道（和平街道）", ["handler"], ["ST_HEPING"]),
    ("dcq", "杨东城（东城区处置）", ["handler"], ["DIST_A"]),
    ("xcq", "黄西城（西城区处置）", ["handler"], ["DIST_B"]),
    ("sxt", "高协调（市级协调）", ["handler"], ["CITY"]),
    # law enforcement: a second officer (two are required), and the three 法制审核 approvers
    ("zf2", "褚执法（城管执法局）", ["handler", "enforce_officer"], ["D_ENFORCE"]),
    ("zfdz", "卫支队长（执法机构负责人）", ["enforce_head"], ["D_ENFORCE"]),
    ("fzk", "蒋法制（法制机构负责人）", ["legal_head"], ["D_ENFORCE"]),
    ("fgld", "韩副局长（分管领导）", ["deputy_leader"], ["D_ENFORCE"]),
]

# posts (岗位) of the demo users
DEMO_POSTS = {"admin": "系统管理员", "jdy": "监督员", "jdy2": "监督员", "sly": "受理员", "zbz": "值班长",
              "pqy": "派遣员", "rx": "热线接口", "ld": "指挥中心主任", "swld": "局长", "gw": "队长",
              "sxt": "市级协调员", "zfdz": "执法支队长", "fzk": "法制科长", "fgld": "分管副局长"}


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
    # law enforcement (行政处罚法, 行政强制法): statutory periods run on calendar days
    ("enf_file", None, 15, "natural_days", "执法立案：发现线索之日起 15 日内"),
    ("enf_preserve", None, 7, "natural_days", "先行登记保存：7 日内作出处理决定"),
    ("enf_serve", None, 7, "natural_days", "处罚决定书：7 日内送达"),
    ("enf_court", None, 90, "natural_days", "申请法院强制执行：3 个月内"),
    ("enf_hand_in", None, 2, "natural_days", "当场收缴的罚款：2 日内交至行政机关"),
    ("enf_filing", None, 5, "natural_days", "当场处罚决定：报所属行政机关备案"),
    ("enf_statement", None, 3, "natural_days", "陈述申辩期 3 日"),
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


# The enforcement processes' approvers (法制审核: 执法机构负责人 → 法制机构负责人 → 分管领导): lanes and candidates
# of processes/enforcement_*.bpmn name these codes.
ENFORCEMENT_ROLES: dict[str, tuple[str, str, list[str]]] = {
    # officers open enforcement cases (线索受理, 当场处罚) and record what the party does (听证申请, 缴款)
    "enforce_officer": ("执法队员", "org_tree", sorted(set(DEFAULT_ROLES["handler"][2] + ["case.start", "case.message"]))),
    "enforce_head": ("执法机构负责人", "org_tree", DEFAULT_ROLES["handler"][2]),
    "legal_head": ("法制机构负责人", "org_tree", DEFAULT_ROLES["handler"][2]),
    "deputy_leader": ("分管领导", "org_tree", DEFAULT_ROLES["handler"][2]),
}


def seed_roles(session: Session) -> None:
    """The default roles with their permissions and data scope (existing grants are never overwritten)."""
    roles = {**DEFAULT_ROLES, **ENFORCEMENT_ROLES}
    existing = set(session.scalars(select(Role.code)))
    session.add_all(Role(code=code, name=name) for code, (name, _, _) in roles.items() if code not in existing)
    granted = set(session.scalars(select(RoleGrant.role_code)))
    session.add_all(RoleGrant(role_code=code, permissions=permissions, data_scope=scope)
                    for code, (_, scope, permissions) in roles.items() if code not in granted)
    session.flush()


def seed_orgs(session: Session) -> None:
    by_code = {org.code: org for org in session.scalars(select(Org))}
    for sort, (code, name, kind, parent) in enumerate(ORGS):
        if code not in by_code:
            parent_org = by_code[parent] if parent else None
            org = Org(code=code, name=name, kind=kind, parent_id=parent_org.id if parent_org else None,
                      path=path_for(parent_org.path if parent_org else None, code), sort=sort,
                      grids=DEMO_GRIDS.get(code, []), is_active=True)
            session.add(org)
            session.flush()
            by_code[code] = org


def seed_demo_users(session: Session, password: str = DEMO_PASSWORD) -> int:
    """The demo people, then the demo organisations' leaders (only where none is set)."""
    existing = set(session.scalars(select(User.username)))
    created = 0
    password_hash = hash_password(password)
    now = clock.now()
    for username, display_name, roles, orgs in DEMO_USERS:
        if username in existing:
            continue
        user = User(username=username, display_name=display_name, password_hash=password_hash, is_active=True,
                    post=DEMO_POSTS.get(username, "处置人员" if "handler" in roles else None), created_at=now)
        user.roles = [UserRole(role_code=r) for r in roles]
        user.memberships = [Membership(org_code=o, is_primary=i == 0) for i, o in enumerate(orgs)]
        session.add(user)
        created += 1
    session.flush()
    for org in session.scalars(select(Org).where(Org.code.in_(list(DEMO_LEADERS)), Org.leader_username.is_(None))):
        org.leader_username = DEMO_LEADERS[org.code]
    session.flush()
    return created
