"""The 部件/事件 category catalog (with each 小类's 立结案标准 and 处置时限) and the unit grids.

Anyone logged in reads them (forms and dispatch rules need them); admins change them. Codes never
change and nothing is deleted: categories and grids are disabled, so old cases keep their meaning.
A 小类's 处置时限 is its ``handle`` time-limit standard: changing it here is changing /time-limits.
"""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import IntegrityError

from api.auth import current_actor, require_role
from api.errors import ApiProblem
from api.extensions import db
from api.pagination import page_of
from api.strict_fields import StrictBoolean
from engine import audit, catalog

blp = Blueprint("catalog", __name__, url_prefix="/api/v1",
                description="部件/事件分类、立结案标准与单元网格 / Categories, filing standards and grids")

KIND_HELP = {"description": "part=部件, event=事件"}
LEVEL_HELP = {"description": "major=大类, minor=小类"}
UNIT_HELP = {"description": "urgent_hours=紧急工作时, work_hours=工作时, work_days=工作日, natural_days=自然日"}
STANDARD = {"allow_none": True, "validate": validate.Length(max=2000)}


# --- schemas ------------------------------------------------------------------------------------

class CategorySchema(Schema):
    code = fields.String(metadata={"description": "大类 2 位、小类 4 位（位数见系统参数 category_code_lengths）"})
    name = fields.String()
    kind = fields.String(metadata=KIND_HELP)
    level = fields.String(metadata=LEVEL_HELP)
    parent_code = fields.String(allow_none=True)
    is_active = fields.Boolean()
    sort = fields.Integer()
    filing_standard = fields.String(allow_none=True, metadata={"description": "立案标准"})
    closing_standard = fields.String(allow_none=True, metadata={"description": "结案标准"})
    handle_amount = fields.Float(allow_none=True, metadata={"description": "处置时限；为空时用处置阶段的默认时限"})
    handle_unit = fields.String(allow_none=True, metadata=UNIT_HELP)


class CategoryTreeSchema(CategorySchema):
    children = fields.List(fields.Nested(CategorySchema))


class CategoryCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(required=True, validate=validate.OneOf(list(catalog.LEVELS)), metadata=LEVEL_HELP)
    kind = fields.String(load_default=None, validate=validate.OneOf(list(catalog.KINDS)),
                         metadata={"description": "大类必填；小类随所属大类 / required for majors"})
    parent_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20),
                                metadata={"description": "小类所属大类编码"})
    sort = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=-1_000_000, max=1_000_000))
    is_active = StrictBoolean(load_default=True)
    filing_standard = fields.String(load_default=None, **STANDARD)
    closing_standard = fields.String(load_default=None, **STANDARD)
    handle_amount = fields.Float(load_default=None, allow_none=True)
    handle_unit = fields.String(load_default=None, allow_none=True, metadata=UNIT_HELP)


class CategoryUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    sort = fields.Integer(strict=True, validate=validate.Range(min=-1_000_000, max=1_000_000))
    is_active = StrictBoolean()
    filing_standard = fields.String(**STANDARD)
    closing_standard = fields.String(**STANDARD)
    handle_amount = fields.Float(allow_none=True, metadata={"description": "与 handle_unit 同时为空：恢复默认时限"})
    handle_unit = fields.String(allow_none=True, metadata=UNIT_HELP)


class CategoryQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(list(catalog.KINDS)))
    level = fields.String(validate=validate.OneOf(list(catalog.LEVELS)))
    active = fields.Boolean()
    parent_code = fields.String(validate=validate.Length(max=20))
    q = fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "编码前缀或名称"})


class CategoryTreeQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(list(catalog.KINDS)))
    active = fields.Boolean()


class GridSchema(Schema):
    code = fields.String(metadata={"description": "单元网格编码（位数见系统参数 grid_code_length）"})
    name = fields.String()
    org_code = fields.String(metadata={"description": "所属区或街道机构编码"})
    is_active = fields.Boolean()


class GridCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=30))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    org_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    is_active = StrictBoolean(load_default=True)


class GridUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    org_code = fields.String(validate=validate.Length(min=1, max=40))
    is_active = StrictBoolean()


class GridQuerySchema(Schema):
    org_code = fields.String(validate=validate.Length(max=40))
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "编码前缀或名称"})


# --- helpers ------------------------------------------------------------------------------------

def _commit_audited(action: str, target_type: str, code: str, before, after) -> None:
    """The change and its audit entry in one transaction (nothing changed: nothing recorded)."""
    if before != after:
        audit.record(db.session.connection(), actor=current_actor().username, action=action,
                     target_type=target_type, target_id=code, before=before, after=after, ip=request.remote_addr)
    try:
        db.session.commit()
    except IntegrityError:  # created by someone else between our check and our insert
        db.session.rollback()
        raise ApiProblem(409, "conflict", "编码已存在", "the code exists") from None


# --- categories -----------------------------------------------------------------------------------

@blp.route("/categories")
class Categories(MethodView):
    @blp.arguments(CategoryQuerySchema, location="query")
    @blp.response(200, CategorySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """分类列表（可按类型、层级、启用状态、大类筛选） / Categories, filtered by kind, level, state, parent"""
        return page_of(catalog.categories(**query), pagination_parameters, *catalog.CATEGORY_ORDER)

    @blp.arguments(CategoryCreateSchema)
    @blp.response(201, CategorySchema)
    def post(self, body):
        """新增大类或小类（小类可带立结案标准与处置时限） / Add a major or minor class"""
        require_role("admin")
        row = catalog.create_category(db.session, **body)
        _commit_audited("category.create", "category", row.code, None, catalog.snapshot(row))
        return catalog.snapshot(row)


@blp.route("/categories/tree")
class CategoryTree(MethodView):
    @blp.arguments(CategoryTreeQuerySchema, location="query")
    @blp.response(200, CategoryTreeSchema(many=True))
    def get(self, query):
        """分类树：大类及其小类 / The tree: majors with their minors"""
        return catalog.category_tree(db.session, **query)


@blp.route("/categories/<string:code>")
class OneCategory(MethodView):
    @blp.response(200, CategorySchema)
    def get(self, code):
        """一个分类 / One category"""
        return catalog.snapshot(catalog.get_category(db.session, code))

    @blp.arguments(CategoryUpdateSchema, required=False)  # a PATCH without a body changes nothing
    @blp.response(200, CategorySchema)
    def patch(self, body, code):
        """修改名称、排序、启用状态、立结案标准、处置时限（编码不可改） / Change a category (not its code)"""
        require_role("admin")
        before, after = catalog.update_category(db.session, code, body)
        _commit_audited("category.update", "category", code, before, after)
        return after


@blp.route("/categories/<string:code>/disable")
class DisableCategory(MethodView):
    @blp.response(200, CategorySchema)
    def post(self, code):
        """停用分类（大类连同其小类；历史案件不受影响） / Disable a category (a major with its minors)"""
        require_role("admin")
        before, after = catalog.disable_category(db.session, code)
        _commit_audited("category.disable", "category", code, before, after)
        return after


@blp.route("/grids")
class Grids(MethodView):
    @blp.arguments(GridQuerySchema, location="query")
    @blp.response(200, GridSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """单元网格列表（可按所属机构筛选） / Unit grids, filtered by organisation"""
        return page_of(catalog.grids(**query), pagination_parameters, catalog.Grid.code)

    @blp.arguments(GridCreateSchema)
    @blp.response(201, GridSchema)
    def post(self, body):
        """新增单元网格 / Add a grid"""
        require_role("admin")
        row = catalog.create_grid(db.session, **body)
        _commit_audited("grid.create", "grid", row.code, None, catalog.grid_snapshot(row))
        return catalog.grid_snapshot(row)


@blp.route("/grids/<string:code>")
class OneGrid(MethodView):
    @blp.response(200, GridSchema)
    def get(self, code):
        """一个单元网格 / One grid"""
        return catalog.grid_snapshot(catalog.get_grid(db.session, code))

    @blp.arguments(GridUpdateSchema, required=False)  # a PATCH without a body changes nothing
    @blp.response(200, GridSchema)
    def patch(self, body, code):
        """修改名称、所属机构、启用状态（编码不可改） / Change a grid (not its code)"""
        require_role("admin")
        before, after = catalog.update_grid(db.session, code, body)
        _commit_audited("grid.update", "grid", code, before, after)
        return after


@blp.route("/grids/<string:code>/disable")
class DisableGrid(MethodView):
    @blp.response(200, GridSchema)
    def post(self, code):
        """停用单元网格 / Disable a grid"""
        require_role("admin")
        before, after = catalog.disable_grid(db.session, code)
        _commit_audited("grid.disable", "grid", code, before, after)
        return after
