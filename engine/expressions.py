"""The expression-only evaluator every designer-written text goes through.

Gateway conditions, timer expressions, DMN cells, candidate expressions and
completion conditions are *expressions*, evaluated by simpleeval with a
whitelist of functions. Python's ``eval``/``exec`` never sees designer text.

simpleeval closes the doors to Python (dunders, imports, eval); the limits here
close the ones to the machine. An expression may build at most ``MAX_SIZE``
characters or items at a time, integers up to ``MAX_INT_BITS`` bits, and may
call only the attributes listed in ``ALLOWED_ATTRIBUTES``: read-only ones that
cannot grow a value (no ``ljust(10**9)``, no ``append`` on the case's data).
"""
from __future__ import annotations

import ast
import datetime as _dt
import functools
import operator
from typing import Any, Callable, Mapping

import simpleeval

from engine import clock
from engine.ast_lock import AST_LOCK

MAX_EXPRESSION_LENGTH = 4000
MAX_NESTING = 40
MAX_SIZE = 10_000        # characters or items one operation may build (a long description may still be read)
MAX_INT_BITS = 4096      # about 1 200 digits: no amount, count or time needs more, and big products are slow
MAX_COMPREHENSION = 1000  # items a comprehension may go through


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


def _size(value: Any) -> int:
    """How many characters ``str(value)`` may take, counted without building it (stops past MAX_SIZE)."""
    total, stack = 0, [value]
    while stack and total <= MAX_SIZE:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            stack.extend(item)
        else:
            total += 32
    return total


def _too_big(what: str) -> ValueError:
    return ValueError(f"{what} would be larger than the sandbox allows")


def _str(value: Any = "") -> str:
    if isinstance(value, (list, tuple, set, frozenset, dict)) and _size(value) > MAX_SIZE:
        raise _too_big("the text")
    return str(value)


def _sum(values, start=0):
    """Numbers (and durations) only: ``sum(lists, [])`` concatenates quadratically."""
    values = list(values)
    if any(isinstance(v, (str, bytes, list, tuple, dict, set)) for v in [start, *values]):
        raise TypeError("sum() adds numbers only")
    return sum(values, start)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _sequence_weight(value: Any) -> int:
    """A list repeated n times holds n references to the same items: count what they hold, not only how many."""
    if isinstance(value, (str, bytes)):
        return len(value)
    return _size(value)


def _mult(a, b):
    if _is_int(a) and _is_int(b):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise _too_big("the product")
    elif hasattr(a, "__len__") and _is_int(b) or hasattr(b, "__len__") and _is_int(a):
        sequence, times = (a, b) if hasattr(a, "__len__") else (b, a)
        if times > 0 and _sequence_weight(sequence) * times > MAX_SIZE:
            raise _too_big("the repeated value")
    return a * b


def _add(a, b):
    if hasattr(a, "__len__") and hasattr(b, "__len__") and len(a) + len(b) > MAX_SIZE:
        raise _too_big("the sum")
    return a + b


def _pow(a, b):
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1 and b * a.bit_length() > MAX_INT_BITS:
        raise _too_big("the power")
    return a ** b


def _mod(a, b):
    if isinstance(a, (str, bytes)):  # "%0999999999d" % 1 is a gigabyte; str() and + say the same
        raise TypeError("%-formatting of text is not available")
    return a % b


def _lshift(a, b):
    if _is_int(a) and _is_int(b) and b > 0 and a.bit_length() + b > MAX_INT_BITS:
        raise _too_big("the shifted number")
    return a << b


OPERATORS = {**simpleeval.DEFAULT_OPERATORS, ast.Mult: _mult, ast.Add: _add, ast.Pow: _pow, ast.Mod: _mod,
             ast.LShift: _lshift, ast.RShift: operator.rshift}

_READ_ONLY_NUMBER = {"real", "imag", "numerator", "denominator", "conjugate", "bit_length", "is_integer",
                     "as_integer_ratio"}
_READ_ONLY_TEXT = {"capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isascii",
                   "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace",
                   "istitle", "isupper", "lower", "lstrip", "partition", "removeprefix", "removesuffix", "rfind",
                   "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip",
                   "swapcase", "title", "upper"}
_MOMENT = {"year", "month", "day", "weekday", "isoweekday", "isoformat", "isocalendar", "toordinal"}
_CLOCK = {"hour", "minute", "second", "microsecond", "tzinfo", "utcoffset"}
_SET = {"intersection", "union", "difference", "symmetric_difference", "issubset", "issuperset", "isdisjoint"}
# Attributes an expression may read or call, per exact type; anything else (and any other type) is refused.
ALLOWED_ATTRIBUTES: dict[type | None, set[str]] = {
    int: _READ_ONLY_NUMBER, float: _READ_ONLY_NUMBER, bool: _READ_ONLY_NUMBER,
    str: _READ_ONLY_TEXT, type(None): set(),
    dict: {"get", "keys", "values", "items"},
    list: {"count", "index"}, tuple: {"count", "index"},
    set: _SET, frozenset: _SET,
    _dt.datetime: _MOMENT | _CLOCK | {"date", "time", "timestamp", "astimezone"},
    _dt.date: _MOMENT,
    _dt.time: _CLOCK | {"isoformat"},
    _dt.timedelta: {"days", "seconds", "microseconds", "total_seconds"},
}


# The whitelist. Calendars and lookups register more through register_function().
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "int": int, "float": float, "str": _str, "bool": bool, "len": len,
    "abs": abs, "min": min, "max": max, "round": round, "sum": _sum,
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

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        if node.format_spec is not None:  # f"{1:>999999999}" is a gigabyte
            raise ExpressionError(self.expression, "format specifications in f-strings are not allowed")
        self.generic_visit(node)


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
        with AST_LOCK:
            tree = ast.parse(expression.strip(), mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(expression, f"syntax error ({getattr(exc, 'msg', exc)})") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        raise ExpressionError(expression, "only a single expression is allowed")
    _Checker(expression).visit(tree)
    return tree.body[0]


class _Evaluator(simpleeval.EvalWithCompoundTypes):
    def _eval_joinedstr(self, node):
        parts = [_str(self._eval(value)) for value in node.values]
        if sum(len(part) for part in parts) > MAX_SIZE:
            raise _too_big("the f-string")
        return "".join(parts)

    def _eval_comprehension(self, node):
        # simpleeval's own limit is a module global (10 000); ours counts from this comprehension on
        self._max_count = max(self._max_count, simpleeval.MAX_COMPREHENSION_LENGTH - MAX_COMPREHENSION)
        return super()._eval_comprehension(node)


def evaluate(expression: str, names: Mapping[str, Any] | None = None) -> Any:
    """Evaluate one expression against the given variables."""
    parsed = compile_expression(expression)
    expression = unwrap(expression)
    evaluator = _Evaluator(operators=OPERATORS, functions=_FUNCTIONS, names=dict(names or {}),
                           allowed_attrs=ALLOWED_ATTRIBUTES)
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
    except MemoryError:  # a last resort: the limits above should keep every value far smaller
        raise ExpressionError(expression, "expression needs too much memory") from None


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
