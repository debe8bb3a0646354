"""Timer texts as designers write them, turned into the expressions we evaluate.

Camunda Modeler and bpmn-js write timers bare (``PT2H``), SpiffWorkflow
evaluates them as Python (``"PT2H"``). We accept both, plus expressions such
as ``add_work_hours(start, 2)``, and check ISO literals here, at deploy time,
with the very functions SpiffWorkflow uses when the timer fires.

Datetimes without a UTC offset are refused: SpiffWorkflow would read them in
the server's zone, which is not necessarily Beijing time.
"""
from __future__ import annotations

import datetime as _dt
import re

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.expressions import ExpressionError, compile_expression
from engine.problems import expression_reason_zh

TIME_DATE, TIME_DURATION, TIME_CYCLE = "timeDate", "timeDuration", "timeCycle"

# Texts that are meant as ISO 8601 even if they happen to be valid Python
# (``PT2H`` is a name, ``R3/PT1H`` a division): never treat them as expressions.
_LOOKS_ISO = re.compile(r"^(R\d*/|PT?(\d|$)|\d{4}-\d{2}-\d{2}|\d{8}T)")
_QUOTED = re.compile(r"""^(?P<q>["'])(?P<body>[^"'\\]*)(?P=q)$""")

_EXAMPLES = "PT2H、P3D、2026-03-01T09:00:00+08:00、R3/PT1H 或 add_work_hours(start, 2)"


class TimerExpressionError(ExpressionError):
    """An ExpressionError that also says why in Chinese, for the designer."""

    def __init__(self, expression: str, reason: str, reason_zh: str):
        super().__init__(expression, reason)
        self.reason_zh = reason_zh


def normalize_timer_expression(text: str, kind: str | None = None) -> str:
    """Return a Python-syntax expression for a timer text, or raise ExpressionError.

    Bare ISO literal -> quoted string literal; quoted literal -> unchanged;
    anything else must compile as an expression. ``kind`` (timeDate,
    timeDuration or timeCycle), when given, must match the literal's type.
    """
    stripped = (text or "").strip()
    if not stripped:
        raise TimerExpressionError(text or "", "timer expression is empty",
                                   f"定时器没有填写时间，请填写例如 {_EXAMPLES}")
    quoted = _QUOTED.match(stripped)
    if quoted:
        _check_literal(quoted.group("body").strip(), kind)
        return stripped
    if _LOOKS_ISO.match(stripped):
        _check_literal(stripped, kind)
        return f'"{stripped}"'
    try:
        compile_expression(stripped)
    except ExpressionError as exc:
        raise TimerExpressionError(
            stripped, f"neither an ISO 8601 value nor a valid expression ({exc.reason})",
            f"既不是 ISO 8601 时间值，也不是有效的表达式（{expression_reason_zh(exc.reason)}）。可以写 {_EXAMPLES}",
        ) from None
    return stripped


def _check_literal(literal: str, kind: str | None) -> str:
    if literal.startswith("R"):
        found = _check_cycle(literal)
    elif literal.startswith("P"):
        _check_duration(literal)
        found = TIME_DURATION
    else:
        _check_datetime(literal)
        found = TIME_DATE
    if kind and kind != found:
        raise TimerExpressionError(
            literal, f"a {kind} needs {_WANTED_EN[kind]}, not {_WANTED_EN[found]}",
            f"{_KIND_ZH[kind]}需要填写{_WANTED_ZH[kind]}，这里写的却是{_WANTED_ZH[found]}",
        )
    return found


_KIND_ZH = {TIME_DATE: "“指定时间”定时器", TIME_DURATION: "“持续时间”定时器", TIME_CYCLE: "“循环”定时器"}
_WANTED_ZH = {TIME_DATE: "日期时间（如 2026-03-01T09:00:00+08:00）",
              TIME_DURATION: "时长（如 PT2H）", TIME_CYCLE: "循环（如 R3/PT1H）"}
_WANTED_EN = {TIME_DATE: "a datetime", TIME_DURATION: "a duration", TIME_CYCLE: "a cycle"}


def _check_duration(literal: str) -> None:
    try:
        parsed = TimerEventDefinition.parse_iso_duration(literal)
    except Exception:  # SpiffWorkflow raises bare Exception
        parsed = None
    # An empty "P" parses to nothing in SpiffWorkflow: a zero timer is a typo.
    if not parsed:
        raise TimerExpressionError(literal, "not a valid ISO 8601 duration",
                                   f"“{literal}”不是有效的 ISO 8601 时长，应写成如 PT2H、P3D、P1DT2H")


def _check_datetime(literal: str) -> None:
    try:
        value = _dt.datetime.fromisoformat(literal)
    except ValueError:
        raise TimerExpressionError(
            literal, "not a valid ISO 8601 datetime",
            f"“{literal}”不是有效的 ISO 8601 日期时间，应写成如 2026-03-01T09:00:00+08:00",
        ) from None
    if value.tzinfo is None:
        raise TimerExpressionError(
            literal, "datetimes without a UTC offset are refused; write e.g. +08:00",
            f"“{literal}”没有时区偏移，会按服务器所在时区解释，因此不被接受：请在末尾加上 +08:00",
        )


def _check_cycle(literal: str) -> str:
    # The same splitting SpiffWorkflow's parse_iso_recurring_interval does.
    parts = literal.upper().replace("--", "/").strip("R").split("/")
    bad = TimerExpressionError(
        literal, "not a valid ISO 8601 repeating interval (e.g. R3/PT1H)",
        f"“{literal}”不是有效的 ISO 8601 循环，应写成如 R3/PT1H 或 R/2026-03-01T09:00:00+08:00/P1D",
    )
    if len(parts) not in (2, 3) or (parts[0] and not parts[0].isdigit()):
        raise bad
    for part in parts[1:]:
        if not part.startswith("P"):
            _check_datetime(part)
    try:
        TimerEventDefinition.parse_iso_recurring_interval(literal)
    except Exception:
        raise bad from None
    return TIME_CYCLE
