"""表单配置: form definitions (draft, publish, versions, diff, export/import), live validation,
and per-node field permissions."""
from __future__ import annotations

from flask import Response, current_app, json
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.errors import ApiProblem
from api.extensions import db
from api.i18n import language
from engine.audit import record
from forms import store
from forms.permissions import PERMISSIONS, PERMISSION_BOOK, set_node_permissions
from forms.schema_builder import build_schema

blp = Blueprint("forms", __name__, url_prefix="/api/v1", description="表单配置 / Forms")

VERSION = "<int(max=2147483647):version>"


class FormSummarySchema(Schema):
    key = fields.String()
    name = fields.String(allow_none=True)
    latest_version = fields.Integer()
    published_version = fields.Integer(allow_none=True)
    status = fields.String()
    updated_at = fields.DateTime()


class FormVersionSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    status = fields.String()
    schema = fields.Dict()
    sha256 = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    published_by = fields.String(allow_none=True)


class VersionInfoSchema(Schema):
    version = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)


class FormDetailSchema(Schema):
    key = fields.String()
    name = fields.String(allow_none=True)
    draft = fields.Nested(FormVersionSchema, allow_none=True)
    published = fields.Nested(FormVersionSchema, allow_none=True)
    versions = fields.List(fields.Nested(VersionInfoSchema))


class NewFormSchema(Schema):
    key = fields.String(required=True, validate=validate.Regexp(store.KEY_PATTERN))
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    schema = fields.Dict(required=True)


class DraftSchema(Schema):
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    schema = fields.Dict(required=True)


class DiffQuerySchema(Schema):
    from_ = fields.Integer(data_key="from", required=True, validate=validate.Range(min=1, max=2147483647))
    to = fields.Integer(required=True, validate=validate.Range(min=1, max=2147483647))


class ChangeSchema(Schema):
    key = fields.String()
    component_id = fields.String(allow_none=True)
    change = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class DiffSchema(Schema):
    from_ = fields.Integer(data_key="from")
    to = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))


class ImportSchema(Schema):
    format = fields.String(required=True, validate=validate.Equal(store.EXPORT_FORMAT))
    key = fields.String(required=True, validate=validate.Regexp(store.KEY_PATTERN))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    version = fields.Integer(strict=True, load_default=None, allow_none=True,
                             validate=validate.Range(min=1, max=2147483647))
    schema = fields.Dict(required=True)


class ValidateRequestSchema(Schema):
    schema = fields.Dict(metadata={"description": "校验这个定义（设计器预览）；不给则用 version 或最新发布版"})
    version = fields.Integer(strict=True, validate=validate.Range(min=1, max=2147483647))
    data = fields.Dict(load_default=dict)


class ValidationMessageSchema(Schema):
    field = fields.String()
    message = fields.String()


class ValidateResultSchema(Schema):
    valid = fields.Boolean()
    errors = fields.List(fields.Nested(ValidationMessageSchema))


class PermissionsSchema(Schema):
    permissions = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=200)),
                              values=fields.String(validate=validate.OneOf(PERMISSIONS)), required=True,
                              metadata={"description": "字段路径 → editable / readonly / hidden（未列出的字段可编辑）"})


def _detail(key: str) -> dict:
    rows = store.versions(db.session, key)
    if not rows:
        raise ApiProblem(404, "not_found", f"表单“{key}”不存在", f"form '{key}' not found")
    draft = rows[0] if rows[0].status == store.DRAFT else None
    published = next((r for r in rows if r.status == store.PUBLISHED), None)
    return {"key": key, "name": rows[0].name, "draft": draft, "published": published, "versions": rows}


@blp.route("/forms")
class Forms(MethodView):
    @blp.response(200, FormSummarySchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """表单列表 / Forms, one row per key"""
        rows = store.summaries(db.session)
        pagination_parameters.item_count = len(rows)
        first = pagination_parameters.first_item
        return rows[first:first + pagination_parameters.page_size]

    @blp.arguments(NewFormSchema)
    @blp.response(201, FormVersionSchema)
    def post(self, body):
        """新建表单（草稿第 1 版） / Create a form as draft version 1"""
        row = store.create_form(db.session, body["key"], body["name"], body["schema"], current_actor().username)
        db.session.commit()
        return row


@blp.route("/forms/import")
class Import(MethodView):
    @blp.arguments(ImportSchema)
    @blp.response(201, FormVersionSchema)
    def post(self, body):
        """导入导出的表单 JSON（成为新草稿） / Import an exported form as a new draft"""
        row = store.import_document(db.session, body, current_actor().username)
        db.session.commit()
        return row


@blp.route("/forms/<string:key>")
class FormDetail(MethodView):
    @blp.response(200, FormDetailSchema)
    def get(self, key):
        """表单详情：草稿、已发布版本、历史 / A form with its draft, published version and history"""
        return _detail(key)


@blp.route("/forms/<string:key>/draft")
class Draft(MethodView):
    @blp.arguments(DraftSchema)
    @blp.response(200, FormVersionSchema)
    def put(self, body, key):
        """保存草稿 / Save the draft (a new draft version on top of the published one)"""
        row = store.save_draft(db.session, key, body["schema"], current_actor().username, body["name"])
        db.session.commit()
        return row


@blp.route("/forms/<string:key>/publish")
class Publish(MethodView):
    @blp.response(200, FormVersionSchema)
    def post(self, key):
        """发布草稿（先检查定义：FEEL 子集、字段键、正则……） / Publish the draft after checking it"""
        try:
            row = store.publish(db.session, key, current_actor().username)
        except store.InvalidForm as exc:
            db.session.rollback()
            en = language() == "en"
            errors = [{"field": p.get("path"), "component_id": p.get("component_id"),
                       "message": p["message_en"] if en else p["message_zh"]} for p in exc.problems]
            raise ApiProblem(422, "form_invalid", exc.message_zh, exc.message_en, errors) from None
        record(db.session, actor=current_actor().username, action="form.publish", target_type="form",
               target_id=f"{key}@{row.version}", before=None, after={"sha256": row.sha256})
        db.session.commit()
        return row


@blp.route("/forms/<string:key>/versions")
class Versions(MethodView):
    @blp.response(200, VersionInfoSchema(many=True))
    def get(self, key):
        """版本历史 / Version history"""
        return _detail(key)["versions"]


@blp.route(f"/forms/<string:key>/versions/{VERSION}")
class Version(MethodView):
    @blp.response(200, FormVersionSchema)
    def get(self, key, version):
        """某一版本 / One version"""
        return store.version_of(db.session, key, version)


@blp.route(f"/forms/<string:key>/versions/{VERSION}/export")
class Export(MethodView):
    @blp.response(200, content_type="application/json")
    def get(self, key, version):
        """导出为 JSON 文件 / Export as a JSON file"""
        document = store.export_document(store.version_of(db.session, key, version))
        return Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{key}-v{version}.json"'})


@blp.route("/forms/<string:key>/diff")
class Diff(MethodView):
    @blp.arguments(DiffQuerySchema, location="query")
    @blp.response(200, DiffSchema)
    def get(self, query, key):
        """两个版本之间的字段差异 / Field-level differences between two versions"""
        before = store.version_of(db.session, key, query["from_"])
        after = store.version_of(db.session, key, query["to"])
        return {"from_": before.version, "to": after.version, "changes": store.diff(before.schema, after.schema)}


@blp.route("/forms/<string:key>/validate")
class Validate(MethodView):
    @blp.arguments(ValidateRequestSchema)
    @blp.response(200, ValidateResultSchema)
    def post(self, body, key):
        """用服务器端规则校验数据（设计器实时预览用） / Validate data with the server's rules (live preview)"""
        if body.get("schema") is not None:
            schema = body["schema"]
        elif body.get("version"):
            schema = store.version_of(db.session, key, body["version"]).schema
        else:
            row = store.latest_published(db.session, key)
            if row is None:
                raise ApiProblem(404, "not_found", f"表单“{key}”没有已发布的版本", f"form '{key}' is not published")
            schema = row.schema
        try:
            compiled = build_schema(schema)
        except Exception as exc:  # a half-designed form in the editor: say why, never 500
            raise ApiProblem(422, "form_invalid", f"表单定义无法解析：{exc}", f"the form cannot be read: {exc}") from None
        errors = compiled.validate(body["data"], lang="en" if language() == "en" else "zh")
        return {"valid": not errors, "errors": [{"field": k, "message": v} for k, v in errors.items()]}


@blp.route("/processes/<string:process_key>/nodes/<string:node_id>/field-permissions")
class FieldPermissions(MethodView):
    @blp.response(200, PermissionsSchema)
    def get(self, process_key, node_id):
        """某环节的字段权限 / A node's field permissions"""
        return {"permissions": PERMISSION_BOOK.for_node(db.session, process_key, node_id)}

    @blp.arguments(PermissionsSchema)
    @blp.response(200, PermissionsSchema)
    def put(self, body, process_key, node_id):
        """设置某环节的字段权限（可编辑 / 只读 / 隐藏） / Set a node's field permissions"""
        before = PERMISSION_BOOK.for_node(db.session, process_key, node_id)
        set_node_permissions(db.session, process_key, node_id, body["permissions"])
        record(db.session, actor=current_actor().username, action="field_permission.set", target_type="node",
               target_id=f"{process_key}/{node_id}", before={"permissions": before},
               after={"permissions": body["permissions"]})
        db.session.commit()
        current_app.extensions["citybpm_engine"].forms.forget()
        return {"permissions": PERMISSION_BOOK.for_node(db.session, process_key, node_id)}
