"""The workbench's tab counts: 待办 / 我的 / 已办 / 抄送未读 / 我发起的, each one indexed count."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import func, select

from api.auth import current_actor
from api.extensions import db
from api.visibility import assigned_to, tasks_visible_to
from engine.models import Event, Instance, Task
from engine.operations import copies

blp = Blueprint("inbox_counts", __name__, url_prefix="/api/v1/tasks", description="工作台计数 / Workbench counts")


class InboxCountsSchema(Schema):
    todo = fields.Integer(metadata={"description": "待办：我可办理的任务（GET /tasks scope=all）"})
    mine = fields.Integer(metadata={"description": "我已签收的任务"})
    done = fields.Integer(metadata={"description": "已办：我办结的任务（GET /tasks/done）"})
    copies_unread = fields.Integer(metadata={"description": "抄送我的（未读）"})
    started = fields.Integer(metadata={"description": "我发起的案件"})


def _count(statement) -> int:
    return db.session.scalar(statement) or 0


@blp.route("/counts")
class InboxCounts(MethodView):
    @blp.response(200, InboxCountsSchema)
    def get(self):
        """工作台各栏的数量 / How many items each workbench tab holds"""
        actor = current_actor()
        return {
            "todo": _count(select(func.count()).select_from(Task).where(tasks_visible_to(actor, "all"))),
            "mine": _count(select(func.count()).select_from(Task).where(assigned_to(actor))),
            # ix_event_actor_type_id
            "done": _count(select(func.count()).select_from(Event).where(
                Event.actor == actor.username, Event.type == "task.completed")),
            "copies_unread": copies.count_copies(db.session, actor.username, unread=True),
            "started": _count(select(func.count()).select_from(Instance).where(
                Instance.started_by == actor.username)),  # led by uq (started_by, idempotency_key)
        }
