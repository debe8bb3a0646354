"""The case's BPMN diagram with completed, active and overdue nodes marked (the case page's viewer)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.cases import _visible_case
from api.extensions import db
from engine import clock
from engine.case_diagram import case_diagram

blp = Blueprint("case_diagram", __name__, url_prefix="/api/v1/cases", description="案件流程图 / Case diagram")

MARK = fields.String(metadata={"description": "completed：已完成；active：办理中；overdue：已超时"})


class CalledDiagramSchema(Schema):
    process_id = fields.String()
    xml = fields.String()
    nodes = fields.Dict(keys=fields.String(), values=MARK)


class CaseDiagramSchema(Schema):
    process_key = fields.String()
    version = fields.Integer()
    process_id = fields.String()
    xml = fields.String(metadata={"description": "案件所用流程版本的 BPMN XML（主文件）"})
    nodes = fields.Dict(keys=fields.String(), values=MARK)
    called = fields.Dict(keys=fields.String(), values=fields.Nested(CalledDiagramSchema),
                         metadata={"description": "调用活动 id → 被调用的派遣子流程及其节点标记"})


@blp.route("/<string:case_no>/diagram")
class CaseDiagram(MethodView):
    @blp.response(200, CaseDiagramSchema)
    def get(self, case_no):
        """案件流程图：已完成、办理中、超时的节点 / The case's diagram with its nodes marked"""
        case = _visible_case(case_no)
        return case_diagram(db.session.connection(), case.definition, case.id, clock.now())
