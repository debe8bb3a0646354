"""Task operations on one task: 签收/退签, 转办, 委派, 加签/减签, 抄送, 催办, and what a user may do here.
Also the "抄送我的" list (``copies_blp``)."""
from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("task_ops", __name__, url_prefix="/api/v1/tasks", description="任务操作 / Task operations")
copies_blp = Blueprint("copies", __name__, url_prefix="/api/v1/copies", description="抄送我的 / Copies sent to me")
