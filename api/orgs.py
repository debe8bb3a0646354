"""机构配置: the organisation tree (nested and flat), create, change, move, disable/enable."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from api.auth import PRINCIPALS, current_actor, require_role
from api.extensions import db
from api.pagination import page_of
from engine import org_service
from engine.audit import Who
from engine.identity import Org, User

blp = Blueprint("orgs", __name__, url_prefix="/api/v1/orgs", description="机构配置 / Organisations")

ADMIN = ("admin",)
RESERVED_CODES = ("tree",)  # /orgs/tree is the nested view
KIND_HELP = ("city=市, district=区, street=街道, community=社区, centre=指挥中心, department=专业部门, "
             "team=部门下属队/班组")
GRIDS = fields.List(fields.String(validate=validate.Regexp(org_service.GRID_PATTERN)),
                    validate=validate.Length(max=10_000), metadata={"description": "所服务的单元网格编码"})


class OrgSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": KIND_HELP})
    parent = fields.String(allow_none=True)
    path = fields.String(metadata={"description": "从根开始的机构编码路径，如 /CITY/DIST_A/"})
    depth = fields.Integer()
    leader_username = fields.String(allow_none=True)
    leader_name = fields.String(allow_none=True)
    grids = fields.List(fields.String())
    is_active = fields.Boolean()
    sort = fields.Integer()


class OrgNodeSchema(OrgSchema):
    children = fields.List(fields.Nested(lambda: OrgNodeSchema()))


class OrgCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(org_service.CODE_PATTERN),
                         metadata={"description": "机构编码（创建后不可修改）"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(org_service.KINDS),
                         metadata={"description": KIND_HELP})
    parent = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    leader_username = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    grids = GRIDS
    sort = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=-1_000_000, max=1_000_000))

    @validates("code")
    def _not_reserved(self, value, **_kwargs):
        if value.lower() in RESERVED_CODES:
            raise ValidationError(f"编码“{value}”为保留字")


class OrgUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    kind = fields.String(validate=validate.OneOf(org_service.KINDS), metadata={"description": KIND_HELP})
    leader_username = fields.String(allow_none=True, validate=validate.Length(min=1, max=100),
                                    metadata={"description": "机构领导的用户名；null 表示清除"})
    grids = GRIDS
    sort = fields.Integer(strict=True, validate=validate.Range(min=-1_000_000, max=1_000_000))


class MoveSchema(Schema):
    parent = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=40),
                           metadata={"description": "新的上级机构编码；null 表示作为根机构"})


class OrgListQuerySchema(Schema):
    parent = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "直属下级"})
    under = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "本机构及全部下级"})
    kind = fields.String(validate=validate.OneOf(org_service.KINDS))
    active = fields.Boolean(metadata={"description": "true 只看启用的，false 只看停用的"})
    q = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "名称或编码包含"})


class TreeQuerySchema(Schema):
    root = fields.String(validate=validate.Length(min=1, max=40), metadata={"description": "只看这个机构的子树"})
    active = fields.Boolean(metadata={"description": "true 只看启用的（停用机构的下级一并隐藏）"})


def _who() -> Who:
    return Who(current_actor().username, request.remote_addr)


def _leader_names(orgs) -> dict[str, str]:
    usernames = sorted({o.leader_username for o in orgs if o.leader_username})
    if not usernames:
        return {}
    return dict(db.session.execute(select(User.username, User.display_name).where(User.username.in_(usernames))).all())


def _dump(orgs) -> list[dict]:
    names = _leader_names(orgs)
    return [{"code": o.code, "name": o.name, "kind": o.kind, "parent": o.parent_code, "path": o.path,
             "depth": o.depth, "leader_username": o.leader_username, "leader_name": names.get(o.leader_username),
             "grids": list(o.grids or []), "is_active": o.is_active, "sort": o.sort} for o in orgs]


def _one(org: Org) -> dict:
    return _dump([org])[0]


def _tree(orgs: list[Org]) -> list[dict]:
    """Nest rows (ordered by path: parents first) by their parent codes; siblings by (sort, code)."""
    nodes = {row["code"]: dict(row, children=[]) for row in _dump(orgs)}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent"])
        (parent["children"] if parent else roots).append(node)

    def order(siblings):
        siblings.sort(key=lambda n: (n["sort"], n["code"]))
        for n in siblings:
            order(n["children"])
        return siblings

    return order(roots)


@blp.route("")
class OrgList(MethodView):
    @blp.arguments(OrgListQuerySchema, location="query")
    @blp.response(200, OrgSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """机构列表（平铺，按路径排序：上级在前） / Organisations, flat, parents first"""
        statement = select(Org)
        if "parent" in query:
            statement = statement.where(Org.parent_id == org_service.get_org(db.session, query["parent"]).id)
        if "under" in query:
            statement = statement.where(org_service.under(org_service.get_org(db.session, query["under"]).path))
        if "kind" in query:
            statement = statement.where(Org.kind == query["kind"])
        if "active" in query:
            statement = statement.where(Org.is_active.is_(query["active"]))
        if "q" in query:
            statement = statement.where(or_(Org.name.contains(query["q"], autoescape=True),
                                            Org.code.contains(query["q"], autoescape=True)))
        return _dump(page_of(statement, pagination_parameters, Org.path))

    @blp.arguments(OrgCreateSchema)
    @blp.response(201, OrgSchema)
    def post(self, body):
        """新建机构 / Create an organisation"""
        require_role(*ADMIN)
        try:
            org = org_service.create_org(db.session, _who(), **body)
            db.session.commit()
        except IntegrityError:  # the same code created concurrently
            db.session.rollback()
            raise org_service.OrgExists(body["code"]) from None
        return _one(org)


@blp.route("/tree")
class OrgTree(MethodView):
    @blp.arguments(TreeQuerySchema, location="query")
    @blp.response(200, OrgNodeSchema(many=True))
    def get(self, query):
        """机构树（嵌套；停用的机构仍在，is_active=false） / The tree, nested (disabled ones included)"""
        statement = select(Org).order_by(Org.path)
        if "root" in query:
            statement = statement.where(org_service.under(org_service.get_org(db.session, query["root"]).path))
        if "active" in query:  # an active organisation's ancestors are all active (disable works bottom-up)
            statement = statement.where(Org.is_active.is_(query["active"]))
        return _tree(list(db.session.scalars(statement)))


@blp.route("/<string:code>")
class OneOrg(MethodView):
    @blp.response(200, OrgSchema)
    def get(self, code):
        """一个机构（停用的也可查看） / One organisation (disabled ones too)"""
        return _one(org_service.get_org(db.session, code))

    @blp.arguments(OrgUpdateSchema, required=False)  # a PATCH without a body changes nothing
    @blp.response(200, OrgSchema)
    def patch(self, body, code):
        """改名、改类型、设置领导、所辖网格、排序（编码不可改） / Rename, kind, leader, grids, sort"""
        require_role(*ADMIN)
        org = org_service.update_org(db.session, _who(), code, **body)
        db.session.commit()
        return _one(org)


@blp.route("/<string:code>/move")
class Move(MethodView):
    @blp.arguments(MoveSchema)
    @blp.response(200, OrgSchema)
    def post(self, body, code):
        """移动到新的上级之下（连同全部下级；不能移到自身或下级之下） / Move under a new parent, with its subtree"""
        require_role(*ADMIN)
        org_service.move_org(db.session, _who(), code, body["parent"])
        db.session.commit()
        PRINCIPALS.clear()  # cached actors carry their organisations' paths
        return _one(org_service.get_org(db.session, code))


@blp.route("/<string:code>/disable")
class Disable(MethodView):
    @blp.response(200, OrgSchema)
    def post(self, code):
        """停用（须先停用下级、办结派给它的任务；历史记录保留） / Disable (children and open tasks first)"""
        require_role(*ADMIN)
        org = org_service.set_active(db.session, _who(), code, False)
        db.session.commit()
        return _one(org)


@blp.route("/<string:code>/enable")
class Enable(MethodView):
    @blp.response(200, OrgSchema)
    def post(self, code):
        """启用（上级须为启用状态） / Enable (its parent must be active)"""
        require_role(*ADMIN)
        org = org_service.set_active(db.session, _who(), code, True)
        db.session.commit()
        return _one(org)
