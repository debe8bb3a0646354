"""My notifications: list (all or unread), mark one read, mark all read."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select, update

from api.auth import current_actor
from api.errors import ApiProblem
from api.extensions import db
from api.pagination import page_of
from engine import clock
from engine.notifications import Notification

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="通知 / Notifications")


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "task.warning | task.overdue | task.reminder | case.supervised …"})
    title = fields.String()
    body = fields.String()
    case_no = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None)


class NotificationQuerySchema(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "只看未读 / only unread ones"})


class ReadAllSchema(Schema):
    marked = fields.Integer(metadata={"description": "本次标为已读的条数 / how many were marked read"})


def _mine():
    # ix_notification_recipient_read_at_id: recipient (+ read_at IS NULL) then id, newest first
    return Notification.recipient == current_actor().username


@blp.route("")
class Notifications(MethodView):
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """我的通知，最新在前 / My notifications, newest first"""
        statement = select(Notification).where(_mine())
        if query["unread"]:
            statement = statement.where(Notification.read_at.is_(None))
        return page_of(statement, pagination_parameters, Notification.id.desc())


@blp.route("/<int(max=2147483647):notification_id>/read")
class ReadOne(MethodView):
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """标为已读（重复调用无副作用） / Mark one notification read (idempotent)"""
        notification = db.session.scalars(select(Notification).where(
            Notification.id == notification_id, _mine())).first()
        if notification is None:
            raise ApiProblem(404, "not_found", "通知不存在", "notification not found")
        if notification.read_at is None:
            notification.read_at = clock.now()
            db.session.commit()
        return notification


@blp.route("/read-all")
class ReadAll(MethodView):
    @blp.response(200, ReadAllSchema)
    def post(self):
        """全部标为已读 / Mark all my notifications read"""
        marked = db.session.execute(update(Notification).where(_mine(), Notification.read_at.is_(None))
                                    .values(read_at=clock.now())).rowcount
        db.session.commit()
        return {"marked": marked}
