"""Attachments: upload (size and type limits from the system settings) and download."""
from __future__ import annotations

import os
from urllib.parse import quote

from flask import current_app, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.auth import current_actor, current_principal
from api.errors import ApiProblem
from api.extensions import db
from api.i18n import translate_marshmallow
from api.visibility import cases_visible_now
from engine import attachments

blp = Blueprint("attachments", __name__, url_prefix="/api/v1/attachments", description="附件 / Attachments")

# who may upload: whoever may report a problem or work on tasks
UPLOAD_PERMISSIONS = frozenset({"case.start", "task.work"})


class UploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class AttachmentSchema(Schema):
    id = fields.String()
    name = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    url = fields.Method("_url")
    ref = fields.Method("_ref", metadata={"description": "写入案件数据（如上报表单的 photos）的引用"})

    def _url(self, row):
        return f"/api/v1/attachments/{row.id}"

    def _ref(self, row):
        return attachments.ref(row.id)


def directory() -> str:
    return current_app.config.get("CITYBPM_ATTACHMENTS_DIR") or os.path.join(current_app.instance_path,
                                                                               "attachments")


@blp.route("")
class Upload(MethodView):
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, AttachmentSchema)
    @blp.alt_response(413, description="附件过大 / too large")
    @blp.alt_response(507, description="服务器存储空间已满 / the server's storage is full")
    def post(self, files):
        """上传附件（照片、扫描件）：大小与类型按系统参数限制，类型按文件内容判断 / Upload an attachment"""
        if not UPLOAD_PERMISSIONS & current_principal().permissions:
            raise ApiProblem(403, "forbidden", "没有上传附件的权限（需要上报或办理任务的权限）",
                             "uploading needs the permission to report problems or work on tasks")
        if request.form:  # the upload is the one file part; anything else is a client mistake, not to be ignored
            unknown = [{"field": name, "message": translate_marshmallow("Unknown field.")} for name in request.form]
            raise ApiProblem(422, "validation_failed", "请求数据未通过校验", "the request data is invalid", unknown)
        upload = files["file"]
        row = attachments.store(db.session, directory(), upload.filename or "", upload.stream,
                                current_actor().username)
        db.session.commit()
        return row


@blp.route("/<string:attachment_id>")
class Download(MethodView):
    @blp.doc(responses={200: {"description": "附件内容 / the file",
                              "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}})
    def get(self, attachment_id):
        """下载附件：上传人，或可查看引用该附件的案件的人 / Download an attachment"""
        row = attachments.readable(db.session, attachment_id, current_actor().username, cases_visible_now())
        path = attachments.path_of(directory(), row.sha256)
        if not path.is_file():
            raise ApiProblem(404, "not_found", "附件文件已丢失", "the attachment's file is missing")
        response = send_file(path, mimetype=row.content_type, conditional=True, max_age=0)
        response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(row.name)}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-cache"
        return response
