"""统计页的满意度与流程热力图 / Public satisfaction (回访) and the process heat map (issue 9).

The indicator report lives in api/evaluation.py (blueprint ``evaluation``); these routes share its prefix.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.extensions import db
from engine import clock
from engine.evaluation_views import GROUPS, heatmap, period_of, satisfaction

blp = Blueprint("evaluation_views", __name__, url_prefix="/api/v1/evaluation",
                description="满意度与流程热力图 / Satisfaction and process heat map")


class PeriodQuerySchema(Schema):
    month = fields.String(metadata={"description": "统计月份，如 2026-03（与 from/to 二选一；都不给：本月）"})
    from_ = fields.String(data_key="from", metadata={"description": "起始日期（含），如 2026-01-01"})
    to = fields.String(metadata={"description": "截止日期（含），如 2026-03-31"})


class SatisfactionQuerySchema(PeriodQuerySchema):
    group = fields.String(load_default="department", validate=validate.OneOf(GROUPS),
                          metadata={"description": "department：按专业部门；district：按区域"})


class HeatmapQuerySchema(PeriodQuerySchema):
    process_key = fields.String(load_default="closed_loop", validate=validate.Length(min=1, max=100))


class PeriodSchema(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()


class SatisfactionRowSchema(Schema):
    key = fields.String()
    name = fields.String()
    surveyed = fields.Integer(metadata={"description": "回访数"})
    satisfied = fields.Integer(metadata={"description": "满意"})
    basically_satisfied = fields.Integer(metadata={"description": "基本满意"})
    dissatisfied = fields.Integer(metadata={"description": "不满意"})
    satisfaction_rate = fields.Float(allow_none=True, metadata={"description": "(满意+基本满意)÷回访数"})


class SatisfactionSchema(Schema):
    group = fields.String()
    period = fields.Nested(PeriodSchema)
    formula = fields.String()
    formula_en = fields.String()
    rows = fields.List(fields.Nested(SatisfactionRowSchema))
    total = fields.Nested(SatisfactionRowSchema)


class NodeHeatSchema(Schema):
    passed = fields.Integer(metadata={"description": "期间内办结的该节点任务数"})
    median_work_hours = fields.Float(allow_none=True, metadata={"description": "创建→办结用时中位数（工作时）"})
    overdue = fields.Integer()
    overdue_share = fields.Float(metadata={"description": "超时办结数 ÷ 经过数"})


class CalledHeatSchema(Schema):
    process_id = fields.String()
    xml = fields.String()
    nodes = fields.Dict(keys=fields.String(), values=fields.Nested(NodeHeatSchema))


class HeatmapSchema(Schema):
    process_key = fields.String()
    version = fields.Integer()
    process_id = fields.String()
    period = fields.Nested(PeriodSchema)
    xml = fields.String(metadata={"description": "最新版本的主 BPMN"})
    called = fields.Dict(keys=fields.String(), values=fields.Nested(CalledHeatSchema))
    nodes = fields.Dict(keys=fields.String(), values=fields.Nested(NodeHeatSchema))
    time_unit = fields.String()
    formula = fields.String()


def _period(args):
    return period_of(clock.now(), month=args.get("month"), start=args.get("from_"), end=args.get("to"))


@blp.route("/satisfaction")
class Satisfaction(MethodView):
    @blp.arguments(SatisfactionQuerySchema, location="query")
    @blp.response(200, SatisfactionSchema)
    def get(self, args):
        """公众满意度（回访）：按部门或区域 / Public satisfaction by department or district"""
        result = satisfaction(db.session, _period(args), args["group"])
        db.session.commit()  # the facts the evaluation refresh added
        return result


@blp.route("/heatmap")
class Heatmap(MethodView):
    @blp.arguments(HeatmapQuerySchema, location="query")
    @blp.response(200, HeatmapSchema)
    def get(self, args):
        """流程热力图：各节点经过数、中位用时、超时占比 / Process heat map per node"""
        result = heatmap(db.session, args["process_key"], _period(args))
        db.session.commit()  # the passages the evaluation refresh added
        return result
