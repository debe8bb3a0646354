"""延期 and 挂账 requests and their approval; 督办."""
from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("approvals", __name__, url_prefix="/api/v1", description="延期、挂账审批与督办 / Approvals and supervision")
