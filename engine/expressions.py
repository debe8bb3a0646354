"""The expression-only evaluator every designer-written text goes through.

Gateway conditions, timer expressions, DMN cells, candidate expressions and
completion conditions are *expressions*, evaluated by simpleeval with a
whitelist of functions. Python's ``eval``/``exec`` never sees designer text.
"""
from __future__ import annotations

import ast
import datetime as _dt
import functools
from typing import Any, Callable, Mapping

import simpleeval

from engine import clock

MAX_EXPRESSION_LENGTH = 4000
MAX_NESTING = 40


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the message says why."""

    def __init__(self, expression: str, reason: str):
        super().__init__(f"{reason}: {expression!r}")
        self.expression = expression
        self.reason = reason


def _now() -> _dt.datetime:
    return clock.now()


def _today() -> _dt.date:
    return clock.now().date()


def _parse_datetime(text: str) -> _dt.datetime:
    value = _dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.DEFAULT_TZ)
    return value


def _hours(n: float) -> _dt.timedelta:
    return _dt.timedelta(hours=n)


def _minutes(n: float) -> _dt.timedelta:
    return _dt.timedelta(minutes=n)


def _days(n: float) -> _dt.timedelta:
    return _dt.timedelta(days=n)


def _isoformat(value: Any) -> str:
    return value.isoformat()


LATE_PAYMENT_DAILY_RATE = 0.03  # 行政处罚法 Art. 72: 3 % of the fine per day late, capped at the fine


def _late_surcharge(fine: Any, due: Any, paid_at: Any = None) -> float:
    """加处罚款: whole calendar days (Beijing time) after ``due`` until ``paid_at`` (default now)."""
    due_day = _local_date(due)
    paid_day = _local_date(paid_at if paid_at is not None else clock.now())
    days_late = max(0, (paid_day - due_day).days)
    amount = float(fine or 0)
    return round(min(amount * LATE_PAYMENT_DAILY_RATE * days_late, amount), 2)


def _local_date(value: Any) -> _dt.date:
    instant = _parse_datetime(value) if isinstance(value, str) else value
    if isinstance(instant, _dt.datetime):
        return instant.astimezone(clock.DEFAULT_TZ).date() if instant.tzinfo else instant.date()
    if isinstance(instant, _dt.date):
        return instant
    raise ValueError(f"expected a date, a datetime or an ISO string, got {type(value).__name__}")


# The whitelist. Calendars and lookups register more through register_function().
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "str": str, "bool": bool, "len": len,
    "abs": abs, "min": min, "max": max, "round": round, "sum": sum,
    "sorted": sorted, "any": any, "all": all, "list": list, "set": set,
    "now": _now, "today": _today, "datetime": _parse_datetime,
    "hours": _hours, "minutes": _minutes, "days": _days, "isoformat": _isoformat,
    "late_surcharge": _late_surcharge,
}


def register_function(name: str, function: Callable[..., Any]) -> None:
    """Expose a vetted Python function to expressions (calendar maths, lookups)."""
    _FUNCTIONS[name] = function


def function_names() -> frozenset[str]:
    return frozenset(_FUNCTIONS)


class _Checker(ast.NodeVisitor):
    """Static checks simpleeval does not make: no dunders, bounded depth."""

    def __init__(self, expression: str):
        self.expression = expression
        self.depth = 0

    def generic_visit(self, node: ast.AST) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError(self.expression, "expression is nested too deeply")
        super().generic_visit(node)
        self.depth -= 1

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            raise ExpressionError(self.expression, f"access to '{node.attr}' is not allowed")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("__"):
            raise ExpressionError(self.expression, f"name '{node.id}' is not allowed")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and node.value.startswith("__"):
            raise ExpressionError(self.expression, "dunder strings are not allowed")


def unwrap(expression: str) -> str:
    """Camunda/Flowable files write whole conditions as ``${expr}``: evaluate the inside."""
    text = expression.strip()
    if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
        return text[2:-1].strip()
    return text


@functools.lru_cache(maxsize=4096)
def compile_expression(expression: str) -> ast.Expr:
    """Parse and check an expression once; raises ExpressionError with the reason."""
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionError(str(expression), "expression is empty")
    expression = unwrap(expression)
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(expression[:40] + "…", "expression is too long")
    try:
        tree = ast.parse(expression.strip(), mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(expression, f"syntax error ({getattr(exc, 'msg', exc)})") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        raise ExpressionError(expression, "only a single expression is allowed")
    _Checker(expression).visit(tree)
    return tree.body[0]


class _Evaluator(simpleeval.EvalWithCompoundTypes):
    pass


def evaluate(expression: str, names: Mapping[str, Any] | None = None) -> Any:
    """Evaluate one expression against the given variables."""
    parsed = compile_expression(expression)
    expression = unwrap(expression)
    evaluator = _Evaluator(functions=_FUNCTIONS, names=dict(names or {}))
    try:
        return evaluator.eval(expression, previously_parsed=parsed)
    except simpleeval.NameNotDefined as exc:
        raise ExpressionError(expression, f"unknown variable '{exc.name}'") from None
    except simpleeval.InvalidExpression as exc:
        raise ExpressionError(expression, str(exc)) from None
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ExpressionError(expression, f"{type(exc).__name__}: {exc}") from None
    except RecursionError:
        raise ExpressionError(expression, "expression is nested too deeply") from None


def interpolate(template: str, names: Mapping[str, Any]) -> str:
    """Replace Camunda/Flowable style ``${expr}`` parts with evaluated values."""
    out, rest = [], template
    while "${" in rest:
        before, _, after = rest.partition("${")
        inner, closing, rest = after.partition("}")
        if not closing:
            raise ExpressionError(template, "unclosed '${'")
        out.append(before)
        value = evaluate(inner, names)
        out.append("" if value is None else str(value))
    out.append(rest)
    return "".join(out)


def is_template(text: str | None) -> bool:
    return bool(text) and "${" in text
