"""绩效考核 reports: indicators, composite scores and grades per party and period, the cases behind each
figure, and the same report as an Excel file. All figures come from the event log (engine.evaluation)."""
from __future__ import annotations

import io

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from api.extensions import db
from engine.evaluation import drilldown, report

blp = Blueprint("evaluation", __name__, url_prefix="/api/v1/evaluation",
                description="绩效考核报表 / Evaluation reports (from the event log)")


class PeriodArgs(Schema):
    party = fields.String(required=True, metadata={"description": "supervisor | acceptor | shift_leader | "
                                                                  "dispatcher | department | region"})
    month = fields.String(metadata={"example": "2026-03"})
    quarter = fields.String(metadata={"example": "2026Q1"})
    year = fields.String(metadata={"example": "2026"})
    date_from = fields.String(data_key="from", metadata={"description": "起始日期（含）", "example": "2026-03-01"})
    date_to = fields.String(data_key="to", metadata={"description": "截止日期（含）", "example": "2026-03-31"})
    org = fields.String(metadata={"description": "只看该部门的案件"})
    district = fields.String(metadata={"description": "只看该区域（区县代码）的案件"})


class CasesArgs(PeriodArgs):
    key = fields.String(required=True, metadata={"description": "报表行的 key：用户名、部门代码或区域代码"})
    indicator = fields.String(required=True, metadata={"description": "指标代码或计数代码（如 rework、extended）"})
    part = fields.String(load_default="numerator", validate=validate.OneOf(["numerator", "denominator"]))
    # bounded so that (page - 1) * page_size stays a 64-bit OFFSET; any page past the last is empty anyway
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class FigureSchema(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "比率（0–1）或计数"})
    numerator = fields.Integer()
    denominator = fields.Integer(allow_none=True)
    score = fields.Float(allow_none=True, metadata={"description": "0–100 分"})


class EvaluationRowSchema(Schema):
    key = fields.String()
    name = fields.String()
    indicators = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    score = fields.Float(metadata={"description": "综合得分：按权重加权；无可计算数据的指标不计入，权重按比例折算"})
    grade = fields.String()


class IndicatorSchema(Schema):
    code = fields.String()
    name = fields.String()
    formula = fields.String()
    weight = fields.Float()
    scoring = fields.String()


class EvaluationReportSchema(Schema):
    party = fields.String()
    party_name = fields.String()
    period = fields.Dict(keys=fields.String(), values=fields.String())
    composite_formula = fields.String()
    indicators = fields.List(fields.Nested(IndicatorSchema))
    counters = fields.List(fields.String())
    rows = fields.List(fields.Nested(EvaluationRowSchema))


class EvaluationCaseSchema(Schema):
    id = fields.Integer()
    case_no = fields.String()
    stage = fields.String(allow_none=True)
    status = fields.String()
    outcome = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    category_code = fields.String(allow_none=True)
    grid_code = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    started_at = fields.DateTime()
    ended_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)


class EvaluationCasePageSchema(Schema):
    items = fields.List(fields.Nested(EvaluationCaseSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


def _names(party: str) -> dict[str, str]:
    from engine.identity import Org, User
    if party == "department":
        return dict(db.session.execute(select(Org.code, Org.name)).all())
    if party == "region":
        return {}
    return dict(db.session.execute(select(User.username, User.display_name)).all())


def _period(args: dict):
    return report.period(args.get("month"), args.get("quarter"), args.get("year"), args.get("date_from"),
                         args.get("date_to"))


def _report(args: dict) -> dict:
    start, end = _period(args)
    result = report.build(db.session.connection(), args["party"], start, end, org=args.get("org"),
                          district=args.get("district"), names=_names(args["party"]))
    db.session.commit()  # the facts the refresh added
    return result


@blp.route("/report")
class Report(MethodView):
    @blp.arguments(PeriodArgs, location="query")
    @blp.response(200, EvaluationReportSchema)
    def get(self, args):
        """考核报表：每人/部门/区域的各项指标（值、分子、分母、得分）、综合得分与等级，公式随附"""
        return _report(args)


@blp.route("/cases")
class Cases(MethodView):
    @blp.arguments(CasesArgs, location="query")
    @blp.response(200, EvaluationCasePageSchema)
    def get(self, args):
        """钻取：报表中某个数字背后的案件清单"""
        start, end = _period(args)
        items, total = drilldown.cases(db.session.connection(), args["party"], args["key"], args["indicator"],
                                       args["part"], start, end, page=args["page"], page_size=args["page_size"],
                                       org=args.get("org"), district=args.get("district"))
        db.session.commit()
        return {"items": items, "total": total, "page": args["page"], "page_size": args["page_size"]}


@blp.route("/report.xlsx")
class ReportExcel(MethodView):
    @blp.arguments(PeriodArgs, location="query")
    @blp.response(200, description="考核报表 Excel（与 /report 相同的数字，公式在表头）")
    def get(self, args):
        """考核报表导出 Excel"""
        data = _report(args)
        body = workbook(data)
        name = f"evaluation-{data['party']}-{data['period']['from']}-{data['period']['to']}.xlsx"
        return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def workbook(data: dict) -> bytes:
    """Row 1: title and period; row 2: each column's formula; row 3: column names; then one row per key."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = data["party"]
    sheet.append([f"{data['party_name']}考核报表", f"{data['period']['from']} 至 {data['period']['to']}",
                  f"综合得分 = {data['composite_formula']}"])
    formulas, header = ["", ""], ["key", "名称"]
    for indicator in data["indicators"]:
        for part in ("值", "分子", "分母", "得分"):
            formulas.append(f"{indicator['formula']}（权重 {indicator['weight']:g}）" if part == "值" else "")
            header.append(f"{indicator['name']}{part}")
    formulas += [data["composite_formula"], ""]
    header += ["综合得分", "等级"]
    sheet.append(formulas)
    sheet.append(header)
    for row in data["rows"]:
        line = [row["key"], row["name"]]
        for indicator in data["indicators"]:
            figure = row["indicators"][indicator["code"]]
            line += [figure["value"], figure["numerator"], figure["denominator"], figure["score"]]
        sheet.append(line + [row["score"], row["grade"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
