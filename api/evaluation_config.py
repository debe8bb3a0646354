"""统计配置: the weights of each party's composite evaluation score, and the grades.

Weights are fractions (0.3 = 30 %, i.e. 30 分 of 100); a party's weights sum to 1. The grade bands are
the ``evaluation_grades`` system setting (PUT /api/v1/settings/evaluation_grades).
"""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_actor, require_role
from api.extensions import db
from engine import audit, evaluation_config

blp = Blueprint("evaluation_config", __name__, url_prefix="/api/v1/evaluation",
                description="统计配置：考核权重与等级 / Evaluation weights and grades")


class IndicatorWeightSchema(Schema):
    indicator = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    scoring = fields.String(metadata={"description": "rate=比率×100, inverse_rate=(1−比率)×100, "
                                                     "count=数量÷同类最高数量×100（分值）"})
    weight = fields.Float(metadata={"description": "权重（0–1），0.3 即 30%"})
    points = fields.Float(metadata={"description": "分值：满分 100 中占多少分"})
    formula_zh = fields.String(metadata={"description": "指标口径"})


class PartyWeightsSchema(Schema):
    party = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    formula_zh = fields.String(metadata={
        "description": "综合得分公式，如 处置率×30% + 按期处置率×40% + (1−返工率)×30%"})
    is_default = fields.Boolean()
    indicators = fields.List(fields.Nested(IndicatorWeightSchema))


class GradeSchema(Schema):
    grade = fields.String()
    min = fields.Float(metadata={"description": "该等级最低分（含）"})


class WeightsOverviewSchema(Schema):
    parties = fields.List(fields.Nested(PartyWeightsSchema))
    grades = fields.List(fields.Nested(GradeSchema))


class WeightsChangeSchema(Schema):
    weights = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                          validate=validate.Length(min=1, max=50),
                          metadata={"description": "指标 → 权重（0–1），合计须为 1；未列出的指标权重为 0",
                                    "example": {"handled_rate": 0.3, "handled_on_time_rate": 0.4,
                                                "rework_rate": 0.3}})


def _party(code: str) -> dict:
    definition = evaluation_config.party(code)
    conn = db.session.connection()
    rows = evaluation_config.weights(conn, code)
    by_indicator = {row["indicator"]: row["weight"] for row in rows}
    defaults = {i.code: i.default for i in definition.indicators}
    return {"party": code, "name_zh": definition.zh, "name_en": definition.en,
            "formula_zh": evaluation_config.composite_formula_zh(code, by_indicator),
            "is_default": by_indicator == defaults, "indicators": rows}


def _commit_audited(action: str, party: str, before, after) -> None:
    """The change and its audit entry in one transaction (nothing changed: nothing recorded)."""
    if before != after:
        audit.record(db.session.connection(), actor=current_actor().username, action=action,
                 target_type="evaluation_weight", target_id=party, before=before, after=after,
                 ip=request.remote_addr)
    db.session.commit()


@blp.route("/weights")
class Weights(MethodView):
    @blp.response(200, WeightsOverviewSchema)
    def get(self):
        """各考核对象的指标权重与公式，以及评价等级 / Every party's weights and formula, and the grades"""
        return {"parties": [_party(code) for code in evaluation_config.PARTIES],
                "grades": evaluation_config.grade_bands(db.session.connection())}


@blp.route("/weights/<string:party>")
class PartyWeights(MethodView):
    @blp.response(200, PartyWeightsSchema)
    def get(self, party):
        """一个考核对象的权重 / One party's weights"""
        return _party(party)

    @blp.arguments(WeightsChangeSchema)
    @blp.response(200, PartyWeightsSchema)
    def put(self, body, party):
        """设置权重（合计须为 100%） / Set the weights (they must sum to 100 %)"""
        require_role("admin")
        before, after = evaluation_config.set_weights(db.session, party, body["weights"], current_actor().username)
        _commit_audited("evaluation_weight.update", party, before, after)
        return _party(party)

    @blp.response(200, PartyWeightsSchema)
    def delete(self, party):
        """恢复默认权重（DOMAIN §6） / Back to the default weights"""
        require_role("admin")
        before, after = evaluation_config.reset_weights(db.session, party)
        _commit_audited("evaluation_weight.reset", party, before, after)
        return _party(party)
