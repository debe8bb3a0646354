"""Process definitions: upload (multipart or XML body), list, versions, XML."""
from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from api.auth import current_actor
from api.errors import ApiProblem
from api.extensions import db
from api.pagination import page_of
from engine import deployment
from engine.deployment import SourceFile
from engine.models import Definition, DefinitionFile
from forms import store

blp = Blueprint("definitions", __name__, url_prefix="/api/v1/definitions",
                description="流程定义 / Process definitions")

KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$"


class DefinitionFileSchema(Schema):
    filename = fields.String()
    kind = fields.String()


class DefinitionSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    sha256 = fields.String()
    name = fields.String(allow_none=True)
    process_id = fields.String()
    status = fields.String()
    deployed_at = fields.DateTime()
    deployed_by = fields.String(allow_none=True)
    files = fields.List(fields.Nested(DefinitionFileSchema))


class DeployQuerySchema(Schema):
    key = fields.String(validate=validate.Regexp(KEY_PATTERN))


class ListQuerySchema(Schema):
    key = fields.String(validate=validate.Length(max=100))


class XmlQuerySchema(Schema):
    file = fields.String(validate=validate.Length(max=255))


DEPLOY_BODY = {
    "required": True,
    "description": "BPMN 与 DMN 文件 / BPMN and DMN files",
    "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["files"],
            "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
        "application/xml": {"schema": {"type": "string"}},
    },
}


def _uploaded_files() -> list[SourceFile]:
    limit = current_app.config["CITYBPM_MAX_UPLOAD_BYTES"]
    files = []
    if request.mimetype == "multipart/form-data":
        for storage in request.files.getlist("files") + request.files.getlist("file"):
            content = storage.read(limit + 1)
            if len(content) > limit:
                raise ApiProblem(413, "too_large", f"文件 {storage.filename} 超过大小限制",
                                 f"file {storage.filename} is too large")
            files.append(SourceFile(storage.filename or f"upload{len(files) + 1}.bpmn", content))
    elif request.mimetype in ("application/xml", "text/xml", "application/bpmn+xml"):
        content = request.get_data(cache=False)
        if len(content) > limit:
            raise ApiProblem(413, "too_large", "文件超过大小限制", "the file is too large")
        name = request.headers.get("X-Filename") or "process.bpmn"
        files.append(SourceFile(name, content))
    else:
        raise ApiProblem(415, "unsupported_media_type",
                         "请以 multipart/form-data（字段 files）或 application/xml 上传流程文件",
                         "upload files as multipart/form-data (field 'files') or an application/xml body")
    if not files:
        raise ApiProblem(422, "validation_failed", "没有上传文件", "no files were uploaded",
                         [{"field": "files", "message": "必填"}])
    return files


@blp.route("")
class Definitions(MethodView):
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, DefinitionSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """流程定义列表（所有版本，最新在前） / List definitions, newest first"""
        statement = select(Definition)
        if query.get("key"):
            statement = statement.where(Definition.key == query["key"])
        return page_of(statement, pagination_parameters, Definition.key, Definition.version.desc())

    @blp.arguments(DeployQuerySchema, location="query")
    @blp.doc(requestBody=DEPLOY_BODY)
    @blp.response(201, DefinitionSchema)
    @blp.alt_response(200, schema=DefinitionSchema, description="相同内容已部署过 / same content already deployed")
    def post(self, query):
        """部署流程（BPMN + DMN） / Deploy BPMN and DMN files"""
        files = _uploaded_files()
        engine = current_app.extensions["citybpm_engine"]
        definition, created = engine.deploy(db.session, files, key=query.get("key"),
                                            deployed_by=current_actor().username,
                                            form_exists=lambda form_key: store.form_exists(db.session, form_key))
        db.session.commit()
        return definition, 201 if created else 200


class ValidationResultSchema(Schema):
    valid = fields.Boolean()
    process_id = fields.String()
    name = fields.String(allow_none=True)


@blp.route("/validate")
class Validate(MethodView):
    @blp.arguments(DeployQuerySchema, location="query")
    @blp.doc(requestBody=DEPLOY_BODY)
    @blp.response(200, ValidationResultSchema)
    def post(self, query):
        """校验流程（与部署相同的检查，不保存）；不通过时 422 列出全部问题及元素 id / Validate without deploying"""
        files = _uploaded_files()
        _parsed, process_id, name = deployment.validate(db.session, files, key=query.get("key"),
                                               form_exists=lambda form_key: store.form_exists(db.session, form_key))
        db.session.rollback()
        return {"valid": True, "process_id": process_id, "name": name}


def _version(key: str, version: int | None = None) -> Definition:
    statement = select(Definition).where(Definition.key == key)
    statement = (statement.where(Definition.version == version) if version is not None
                 else statement.order_by(Definition.version.desc()).limit(1))
    definition = db.session.scalars(statement).first()
    if definition is None:
        raise ApiProblem(404, "not_found", "流程定义不存在", "definition not found")
    return definition


@blp.route("/<string:key>")
class Latest(MethodView):
    @blp.response(200, DefinitionSchema)
    def get(self, key):
        """某流程的最新版本 / The latest version of a process"""
        return _version(key)


@blp.route("/<string:key>/versions")
class Versions(MethodView):
    @blp.response(200, DefinitionSchema(many=True))
    def get(self, key):
        """某流程的全部版本 / All versions of a process"""
        found = db.session.scalars(select(Definition).where(Definition.key == key)
                                   .order_by(Definition.version.desc())).all()
        if not found:
            raise ApiProblem(404, "not_found", "流程定义不存在", "definition not found")
        return found


@blp.route("/<string:key>/versions/<int(max=2147483647):version>")
class Version(MethodView):
    @blp.response(200, DefinitionSchema)
    def get(self, key, version):
        """某一版本 / One version"""
        return _version(key, version)


@blp.route("/<string:key>/versions/<int(max=2147483647):version>/xml")
class VersionXml(MethodView):
    @blp.arguments(XmlQuerySchema, location="query")
    @blp.response(200, content_type="application/xml")
    def get(self, query, key, version):
        """某一版本的 BPMN/DMN 文件原文 / The XML of a version's file (first BPMN file by default)"""
        definition = _version(key, version)
        wanted = query.get("file")
        chosen: DefinitionFile | None = next(
            (f for f in definition.files if (f.filename == wanted if wanted else f.kind == "bpmn")), None)
        if chosen is None:
            raise ApiProblem(404, "not_found", "文件不存在", "file not found")
        return Response(chosen.content, mimetype="application/xml")
