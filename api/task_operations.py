"""Task operations on one task: 签收/退签, 转办, 委派, 加签/减签, 抄送, 催办, and what a user may do here.
Also the "抄送我的" list (``copies_blp``).

Thin: parse with a schema, call engine.operations, commit, dump with a schema. What a user may apply to a task
now is in the task's detail (``operations``, api.tasks).
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.extensions import db
from api.strict_fields import StrictBoolean
from api.tasks import TaskSummarySchema, engine, summary
from engine.operations import copies, handover, signing

blp = Blueprint("task_ops", __name__, url_prefix="/api/v1/tasks", description="任务操作 / Task operations")
copies_blp = Blueprint("copies", __name__, url_prefix="/api/v1/copies", description="抄送我的 / Copies sent to me")

USERNAME = validate.Length(min=1, max=100)
REASON = validate.Length(min=1, max=500)


# --- schemas --------------------------------------------------------------------------------------

class UnclaimSchema(Schema):
    reason = fields.String(validate=REASON, metadata={"description": "退签原因（可选）"})


class HandOverToSchema(Schema):
    to = fields.String(required=True, validate=USERNAME, metadata={"description": "接收人用户名"})
    reason = fields.String(required=True, validate=REASON, metadata={"description": "原因"})


class ResolveSchema(Schema):
    data = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)), load_default=dict,
                       metadata={"description": "办理数据（填写时按本环节表单校验），委派人办结时可沿用"})
    opinion = fields.String(required=True, validate=validate.Length(min=1, max=1000),
                            metadata={"description": "办理意见"})


class AddSignersSchema(Schema):
    users = fields.List(fields.String(validate=USERNAME), required=True, validate=validate.Length(min=1, max=20))
    position = fields.String(required=True, validate=validate.OneOf(signing.POSITIONS),
                             metadata={"description": "before：前加签（签署后再由我办理）；after：后加签（我提交后由加签人签署）"})
    reason = fields.String(required=True, validate=REASON)


class RemoveSignerSchema(Schema):
    user = fields.String(required=True, validate=USERNAME, metadata={"description": "要减去的加签人"})
    reason = fields.String(required=True, validate=REASON)


class SignSchema(Schema):
    opinion = fields.String(required=True, validate=validate.Length(min=1, max=1000), metadata={"description": "签署意见"})
    agree = StrictBoolean(load_default=True, metadata={"description": "是否同意（不同意也会记录，由办理人决定）"})


class CcSchema(Schema):
    users = fields.List(fields.String(validate=USERNAME), required=True, validate=validate.Length(min=1, max=50))
    note = fields.String(validate=REASON, metadata={"description": "附言"})


class SignersAddedSchema(Schema):
    task_id = fields.String()
    position = fields.String()
    users = fields.List(fields.String())
    status = fields.String(metadata={"description": "原任务状态：open / waiting"})


class SignResultSchema(Schema):
    task_id = fields.String(metadata={"description": "原任务"})
    status = fields.String(metadata={"description": "原任务现在的状态：open / waiting / completed"})


class CopiesSentSchema(Schema):
    ids = fields.List(fields.Integer())
    users = fields.List(fields.String())


class CopySchema(Schema):
    id = fields.Integer()
    case_no = fields.String()
    task_id = fields.String(allow_none=True)
    node_id = fields.String(allow_none=True)
    sent_by = fields.String()
    sent_at = fields.DateTime()
    note = fields.String(allow_none=True)
    read_at = fields.DateTime(allow_none=True)
    read = fields.Boolean()


class CopyQuerySchema(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "只看未读"})


def _copy(row) -> dict:
    return {"id": row.id, "case_no": row.case_no, "task_id": row.task_id, "node_id": row.node_id,
            "sent_by": row.sent_by, "sent_at": row.sent_at, "note": row.note, "read_at": row.read_at,
            "read": row.read_at is not None}


# --- handing a task on ----------------------------------------------------------------------------

@blp.route("/<string:task_id>/unclaim")
class Unclaim(MethodView):
    @blp.arguments(UnclaimSchema)
    @blp.response(200, TaskSummarySchema)
    def post(self, body, task_id):
        """退签：办理人把任务退回给候选人 / Give a claimed task back to its candidates"""
        task = handover.unclaim(engine(), db.session, task_id, current_actor(), reason=body.get("reason"))
        db.session.commit()
        return summary(task)


@blp.route("/<string:task_id>/transfer")
class Transfer(MethodView):
    @blp.arguments(HandOverToSchema)
    @blp.response(200, TaskSummarySchema)
    def post(self, body, task_id):
        """转办：办理人把任务交给另一人办理 / Transfer the task to another person"""
        task = handover.transfer(engine(), db.session, task_id, current_actor(), to=body["to"], reason=body["reason"])
        db.session.commit()
        return summary(task)


@blp.route("/<string:task_id>/delegate")
class Delegate(MethodView):
    @blp.arguments(HandOverToSchema)
    @blp.response(200, TaskSummarySchema)
    def post(self, body, task_id):
        """委派：被委派人办理完成后交回委派人办结 / Delegate; it comes back to you to complete"""
        task = handover.delegate(engine(), db.session, task_id, current_actor(), to=body["to"], reason=body["reason"])
        db.session.commit()
        return summary(task)


@blp.route("/<string:task_id>/resolve")
class Resolve(MethodView):
    @blp.arguments(ResolveSchema)
    @blp.response(200, TaskSummarySchema)
    def post(self, body, task_id):
        """被委派人办理完成，交回委派人 / The delegate resolves the task back to the delegator"""
        task = handover.resolve(engine(), db.session, task_id, current_actor(), data=body["data"],
                                opinion=body["opinion"])
        db.session.commit()
        return summary(task)


# --- 加签 / 减签 -----------------------------------------------------------------------------------

@blp.route("/<string:task_id>/add-signers")
class AddSigners(MethodView):
    @blp.arguments(AddSignersSchema)
    @blp.response(200, SignersAddedSchema)
    def post(self, body, task_id):
        """加签：前加签或后加签 / Add signers before or after you"""
        users = signing.add_signers(engine(), db.session, task_id, current_actor(), users=body["users"],
                                    position=body["position"], reason=body["reason"])
        status = "waiting" if body["position"] == signing.BEFORE else "open"
        db.session.commit()
        return {"task_id": task_id, "position": body["position"], "users": users, "status": status}


@blp.route("/<string:task_id>/remove-signer")
class RemoveSigner(MethodView):
    @blp.arguments(RemoveSignerSchema)
    @blp.response(200, SignResultSchema)
    def post(self, body, task_id):
        """减签：加签的人减去尚未签署的加签人 / Remove a signer who has not signed yet"""
        result = signing.remove_signer(engine(), db.session, task_id, current_actor(), user=body["user"],
                                       reason=body["reason"])
        db.session.commit()
        return result


@blp.route("/<string:task_id>/sign")
class Sign(MethodView):
    @blp.arguments(SignSchema)
    @blp.response(200, SignResultSchema)
    def post(self, body, task_id):
        """签署加签任务 / Sign as an added signer"""
        result = signing.sign(engine(), db.session, task_id, current_actor(), opinion=body["opinion"],
                              agree=body["agree"])
        db.session.commit()
        return result


# --- 抄送 -----------------------------------------------------------------------------------------

@blp.route("/<string:task_id>/cc")
class Cc(MethodView):
    @blp.arguments(CcSchema)
    @blp.response(200, CopiesSentSchema)
    def post(self, body, task_id):
        """抄送：把案件抄送给他人知悉 / Send a copy of the case"""
        ids = copies.send_copies(engine(), db.session, task_id, current_actor(), users=body["users"],
                                 note=body.get("note"))
        db.session.commit()
        return {"ids": ids, "users": list(dict.fromkeys(body["users"]))}


@copies_blp.route("")
class Copies(MethodView):
    @copies_blp.arguments(CopyQuerySchema, location="query")
    @copies_blp.response(200, CopySchema(many=True))
    @copies_blp.paginate()
    def get(self, query, pagination_parameters):
        """抄送我的：最新的在前 / Copies sent to me, newest first"""
        username = current_actor().username
        pagination_parameters.item_count = total = copies.count_copies(db.session, username, unread=query["unread"])
        if pagination_parameters.first_item >= total:
            return []
        statement = (copies.copies_for(username, unread=query["unread"])
                     .offset(pagination_parameters.first_item).limit(pagination_parameters.page_size))
        return [_copy(row) for row in db.session.execute(statement)]


@copies_blp.route("/<int(max=2147483647):copy_id>/read")
class ReadCopy(MethodView):
    @copies_blp.response(200, CopySchema)
    def post(self, copy_id):
        """标记已读 / Mark a copy read"""
        row = copies.mark_read(db.session, copy_id, current_actor())
        db.session.commit()
        return _copy(row)
