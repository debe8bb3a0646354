"""Operations that reshape a case's flow: 退回, 撤回, suspend/resume, terminate, 撤件, duplicates and merge."""
from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("case_ops", __name__, url_prefix="/api/v1", description="案件操作 / Case operations")
