"""统计配置: the weights of each party's composite evaluation score, and the grades.

The indicators themselves are fixed here (the evaluation computes them from the case history); what a
city changes is how much each one weighs (DOMAIN §6 gives the defaults). A party with no rows in
``evaluation_weight`` uses the defaults; ``set_weights`` writes all of a party's indicators at once
(those left out weigh 0), and a party's weights always sum to 1 (100 %).

Each indicator is scored 0–100 before weighting:
- ``rate``: the rate × 100 (处置率 0.95 → 95 分);
- ``inverse_rate``: (1 − the rate) × 100 (返工率 0.05 → 95 分);
- ``count``: the 分值 of a count, the count ÷ the highest count among the same party × 100
  (受理数 400 when the busiest 受理员 has 500 → 80 分).
The composite is Σ weight × score; ``grade`` turns it into A–E (bands in the ``evaluation_grades`` setting).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Float, String, UniqueConstraint, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import settings_store
from engine.db import Base
from engine.errors import InvalidData, NotFound
from engine.settings_store import DEFAULT_GRADES

RATE, INVERSE_RATE, COUNT = "rate", "inverse_rate", "count"
TOLERANCE = 1e-6


class EvaluationWeight(Base):
    __tablename__ = "evaluation_weight"
    __table_args__ = (UniqueConstraint("party", "indicator"),)  # also serves "the weights of a party"

    id: Mapped[int] = mapped_column(primary_key=True)
    party: Mapped[str] = mapped_column(String(20))
    indicator: Mapped[str] = mapped_column(String(40))
    weight: Mapped[float] = mapped_column(Float)  # 0–1; a party's weights sum to 1
    formula_zh: Mapped[str] = mapped_column(String(200))


@dataclass(frozen=True)
class Indicator:
    code: str
    zh: str
    en: str
    scoring: str   # rate | inverse_rate | count
    default: float
    formula_zh: str  # how the indicator is computed, shown next to the figure

    @property
    def term_zh(self) -> str:
        """How the indicator enters the composite: 处置率, (1−返工率), 受理数分值."""
        return {RATE: self.zh, INVERSE_RATE: f"(1−{self.zh})", COUNT: f"{self.zh}分值"}[self.scoring]


@dataclass(frozen=True)
class Party:
    code: str
    zh: str
    en: str
    indicators: tuple[Indicator, ...]


PARTIES: dict[str, Party] = {p.code: p for p in (
    Party("supervisor", "监督员", "supervisor", (
        Indicator("valid_report_rate", "有效上报率", "valid report rate", RATE, 0.40,
                  "有效上报数（受理并立案）÷ 上报数"),
        Indicator("missed_report_rate", "漏报率", "missed report rate", INVERSE_RATE, 0.20,
                  "漏报数 ÷ 立案数（计分取 1−漏报率）"),
        Indicator("verify_on_time_rate", "按时核实率", "on-time verification rate", RATE, 0.20,
                  "按时核实数 ÷ 应核实数"),
        Indicator("check_on_time_rate", "按时核查率", "on-time check rate", RATE, 0.20, "按时核查数 ÷ 应核查数"),
    )),
    Party("acceptor", "受理员", "acceptor", (
        Indicator("accepted_count", "受理数", "cases accepted", COUNT, 0.25,
                  "受理数分值 = 受理数 ÷ 受理员中最高受理数 × 100"),
        Indicator("verify_dispatch_on_time_rate", "核实按时派发率", "verification sent on time", RATE, 0.40,
                  "按时派发核实数 ÷ 应派发核实数"),
        Indicator("check_dispatch_on_time_rate", "核查按时派发率", "check sent on time", RATE, 0.35,
                  "按时派发核查数 ÷ 应派发核查数"),
    )),
    Party("shift_leader", "值班长", "shift leader", (
        Indicator("file_on_time_rate", "按时立案率", "filed on time", RATE, 0.25, "按时立案数 ÷ 应立案数"),
        Indicator("file_accuracy_rate", "准确立案率", "filing accuracy", RATE, 0.40,
                  "立案后未作废的案件数 ÷ 立案数"),
        Indicator("close_on_time_rate", "按时结案率", "closed on time", RATE, 0.35, "按时结案数 ÷ 应结案数"),
    )),
    Party("dispatcher", "派遣员", "dispatcher", (
        Indicator("dispatched_count", "派遣数", "cases dispatched", COUNT, 0.20,
                  "派遣数分值 = 派遣数 ÷ 派遣员中最高派遣数 × 100"),
        Indicator("dispatch_on_time_rate", "按时派遣率", "dispatched on time", RATE, 0.40, "按时派遣数 ÷ 派遣数"),
        Indicator("dispatch_accuracy_rate", "准确派遣率", "dispatch accuracy", RATE, 0.40,
                  "未因派错部门被回退的派遣数 ÷ 派遣数"),
    )),
    Party("department", "专业部门", "department", (
        Indicator("handled_rate", "处置率", "disposal rate", RATE, 0.30, "处置数 ÷ 应处置数"),
        Indicator("handled_on_time_rate", "按期处置率", "on-time disposal rate", RATE, 0.40,
                  "按期处置数 ÷ 应处置数"),
        Indicator("rework_rate", "返工率", "rework rate", INVERSE_RATE, 0.30, "返工数 ÷ 处置数（计分取 1−返工率）"),
    )),
    Party("region", "区域", "region", (
        Indicator("supervision_report_rate", "监督举报率", "supervision report rate", RATE, 0.10,
                  "监督举报核实数 ÷ 立案数"),
        Indicator("filed_count", "立案数", "cases filed", COUNT, 0.20,
                  "立案数分值 = 立案数 ÷ 各区域中最高立案数 × 100"),
        Indicator("closed_rate", "结案率", "closing rate", RATE, 0.30, "结案数 ÷ 应结案数"),
        Indicator("closed_on_time_rate", "按期结案率", "on-time closing rate", RATE, 0.40, "按期结案数 ÷ 应结案数"),
    )),
)}


def party(code: str) -> Party:
    try:
        return PARTIES[code]
    except KeyError:
        raise NotFound(f"没有考核对象“{code}”（可选：{'、'.join(f'{p.code}={p.zh}' for p in PARTIES.values())}）",
                       f"no evaluated party '{code}' (one of {', '.join(PARTIES)})") from None


def _percent(weight: float) -> str:
    return f"{round(weight * 100, 2):g}%"


def composite_formula_zh(party_code: str, weights_by_indicator: dict[str, float]) -> str:
    """处置率×30% + 按期处置率×40% + (1−返工率)×30% (indicators weighing 0 left out)."""
    terms = [f"{i.term_zh}×{_percent(weights_by_indicator.get(i.code, 0.0))}"
             for i in party(party_code).indicators if weights_by_indicator.get(i.code, 0.0) > 0]
    return " + ".join(terms)


def weights(conn: Connection, party_code: str) -> list[dict]:
    """The party's indicators in order, each with its weight (stored, else the default) and formula."""
    definition = party(party_code)
    table = EvaluationWeight.__table__
    stored = {row.indicator: row for row in conn.execute(select(table).where(table.c.party == party_code))}
    out = []
    for indicator in definition.indicators:
        row = stored.get(indicator.code)
        weight = (row.weight if row is not None else 0.0) if stored else indicator.default
        out.append({"indicator": indicator.code, "name_zh": indicator.zh, "name_en": indicator.en,
                    "scoring": indicator.scoring, "weight": weight, "points": round(weight * 100, 4),
                    "formula_zh": row.formula_zh if row is not None else indicator.formula_zh})
    return out


def weight_map(conn: Connection, party_code: str) -> dict[str, float]:
    return {row["indicator"]: row["weight"] for row in weights(conn, party_code)}


def set_weights(session: Session, party_code: str, new_weights: dict[str, float], actor: str
                ) -> tuple[dict[str, float], dict[str, float]]:
    """Replace a party's weights (indicators left out weigh 0); returns (before, after).
    Raises NotFound for an unknown party, InvalidData when an indicator is unknown, a weight is not
    within 0–1, or the weights do not sum to 1. ``actor`` is for the caller's audit entry."""
    definition = party(party_code)
    known = {i.code: i for i in definition.indicators}
    zh, en = {}, {}
    if not isinstance(new_weights, dict) or not new_weights:
        raise InvalidData({"weights": "请给出各指标的权重"}, {"weights": "give the indicators' weights"})
    for code, weight in new_weights.items():
        field = f"weights.{code}"
        if code not in known:
            zh[field] = f"{definition.zh}没有指标“{code}”（可选：{'、'.join(f'{c}={i.zh}' for c, i in known.items())}）"
            en[field] = f"{definition.en} has no indicator '{code}' (one of {', '.join(known)})"
        elif isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            zh[field], en[field] = "权重应在 0 到 1 之间（0.3 表示 30%）", "a weight is between 0 and 1 (0.3 = 30 %)"
    if not zh:
        total = sum(new_weights.values())
        if abs(total - 1) > TOLERANCE:
            zh["weights"] = f"{definition.zh}各项权重合计须为 100%，当前为 {_percent(total)}"
            en["weights"] = f"the weights of {definition.en} must sum to 100 %, not {_percent(total)}"
    if zh:
        raise InvalidData(zh, en)
    conn = session.connection()
    before = weight_map(conn, party_code)
    after = {code: float(new_weights.get(code, 0.0)) for code in known}
    session.execute(delete(EvaluationWeight).where(EvaluationWeight.party == party_code))
    session.add_all(EvaluationWeight(party=party_code, indicator=code, weight=weight,
                                     formula_zh=known[code].formula_zh) for code, weight in after.items())
    session.flush()
    return before, after


def reset_weights(session: Session, party_code: str) -> tuple[dict[str, float], dict[str, float]]:
    """Back to DOMAIN §6's defaults; returns (before, after)."""
    definition = party(party_code)
    before = weight_map(session.connection(), party_code)
    session.execute(delete(EvaluationWeight).where(EvaluationWeight.party == party_code))
    session.flush()
    return before, {i.code: i.default for i in definition.indicators}


# --- scoring ------------------------------------------------------------------------------------------

def indicator_score(scoring: str, value: float, best: float | None = None) -> float:
    """One indicator's 0–100 score: a rate, an inverted rate, or a count against the group's best."""
    if scoring == RATE:
        return _clamp(value * 100)
    if scoring == INVERSE_RATE:
        return _clamp((1 - value) * 100)
    if scoring == COUNT:
        return _clamp(value / best * 100) if best else 0.0
    raise ValueError(f"unknown scoring {scoring!r}")


def composite_score(conn: Connection, party_code: str, values: dict[str, float],
                    best_counts: dict[str, float] | None = None, *, weight_rows: list[dict] | None = None) -> float:
    """Σ weight × indicator score; ``values`` has each indicator's rate or count, ``best_counts`` the
    group's highest count for each count indicator. Indicators missing from ``values`` score 0.
    ``weight_rows`` (from ``weights``) spares a report one query per row."""
    best_counts = best_counts or {}
    total = 0.0
    for row in weight_rows if weight_rows is not None else weights(conn, party_code):
        if row["weight"] and row["indicator"] in values:
            total += row["weight"] * indicator_score(row["scoring"], values[row["indicator"]],
                                                     best_counts.get(row["indicator"]))
    return round(total, 4)


def grade_bands(conn: Connection) -> list[dict]:
    return settings_store.get(conn, "evaluation_grades")


def grade(score: float, bands: list[dict] | None = None) -> str:
    """A 90–100, B 75–90, C 60–75, D 40–60, E < 40 by default (a band includes its lower bound)."""
    if score != score or score < 0 or score > 100 + TOLERANCE:  # NaN or out of range
        raise ValueError(f"a score is between 0 and 100, not {score}")
    for band in bands or DEFAULT_GRADES:
        if score >= band["min"]:
            return band["grade"]
    return (bands or DEFAULT_GRADES)[-1]["grade"]


def _clamp(score: float) -> float:
    return max(0.0, min(100.0, score))
