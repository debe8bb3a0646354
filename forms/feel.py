"""The FEEL subset that form-js designers write in ``conditional.hide`` (and other ``=`` expressions).

The server must agree with the browser on which fields are hidden, because a hidden field is
neither required nor validated. Full FEEL is a big language; the designer's "hide if" box gets
small boolean expressions, so this module understands exactly those and refuses the rest at
publish time (:class:`FeelError`), instead of guessing at run time.

Understood::

    kind = "a"   n >= 3   a.b != null   x in ["a", "b"]   n between 1 and 5
    ... and ...   ... or ...   not(...)   ( ... )   - + * / on numbers, + on strings
    "text"  12  3.5  true  false  null  [1, 2]
    is defined(x)  string length(s)  count(list)  is empty(list)  list contains(list, x)
    contains(s, t)  starts with(s, t)  ends with(s, t)  upper case(s)  lower case(s)

Semantics follow FEEL where it matters for hiding: a missing variable is ``null``; comparing
values of different types (``<``, ``>``, …) gives ``null``; ``and``/``or``/``not`` are
three-valued; form-js hides a field only when the expression is exactly ``true``.

:func:`compile_feel` parses once (cached) into nested closures; evaluation is a few Python
calls per node, with no ``eval``. Both recurse, so an expression is refused past ``MAX_LENGTH``
characters or ``MAX_NESTING`` levels of brackets, calls and signs (deeper ones would end in Python's
RecursionError); chains like ``a + b + c`` are folded in a loop, not nested.
Joining texts stops at ``MAX_TEXT`` characters (null), so a condition cannot build huge strings.
"""
from __future__ import annotations

import contextlib
import functools
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["FeelError", "FeelExpression", "compile_feel"]

MAX_LENGTH = 2000   # characters: a "hide if" condition is a line or two
MAX_NESTING = 32    # levels of ( [ calls and unary minus; each costs about ten Python frames to parse
MAX_TEXT = 100_000  # characters a + on texts may build

_MISSING = object()
Scope = Mapping[str, Any]
Evaluator = Callable[[Scope], Any]


class FeelError(ValueError):
    """An expression outside the supported subset; ``position`` is a 0-based index into the text."""

    def __init__(self, message_zh: str, message_en: str, position: int):
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.position = position

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh


class FeelExpression:
    """A compiled expression: call :meth:`evaluate` with a mapping of variables."""

    __slots__ = ("_evaluate", "text")

    def __init__(self, text: str, evaluate: Evaluator):
        self.text = text
        self._evaluate = evaluate

    def evaluate(self, scope: Scope) -> Any:
        return self._evaluate(scope)

    def is_true(self, scope: Scope) -> bool:
        """What form-js asks of a hide condition: is the result exactly ``true``?"""
        return self._evaluate(scope) is True

    def __repr__(self) -> str:
        return f"FeelExpression({self.text!r})"


@functools.lru_cache(maxsize=4096)
def compile_feel(text: str) -> FeelExpression:
    """Parse ``text`` (with or without the leading ``=`` form-js writes) or raise :class:`FeelError`."""
    if not isinstance(text, str):
        raise FeelError("表达式必须是文本", "the expression must be a string", 0)
    if len(text) > MAX_LENGTH:
        raise FeelError(f"表达式过长（{len(text)} 个字符，最多 {MAX_LENGTH} 个）",
                        f"the expression is too long ({len(text)} characters, at most {MAX_LENGTH})", MAX_LENGTH)
    offset = 1 if text.startswith("=") else 0
    parser = _Parser(_tokenize(text, offset), text)
    return FeelExpression(text, parser.parse())


# -- tokens ----------------------------------------------------------------------------------------

# FEEL function names may contain spaces; they are recognised only when a "(" follows.
_FUNCTION_NAME = re.compile(
    r"(is defined|string length|is empty|list contains|starts with|ends with|upper case"
    r"|lower case|contains|count|not)\s*(?=\()")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<op>!=|<=|>=|=|<|>|\(|\)|\[|\]|,|\.|\+|-|\*|/)
  | (?P<name>[^\W\d]\w*)
""", re.VERBOSE)
_KEYWORDS = frozenset({"and", "or", "true", "false", "null", "in", "between"})
# Words of FEEL constructs this subset refuses, so the message can name them.
_REFUSED_WORDS = frozenset({"if", "then", "else", "for", "some", "every", "satisfies", "return",
                            "function", "instance", "of"})
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}


class _Token:
    __slots__ = ("kind", "position", "value")

    def __init__(self, kind: str, value: Any, position: int):
        self.kind, self.value, self.position = kind, value, position

    def is_op(self, *ops: str) -> bool:
        return self.kind == "op" and self.value in ops

    def is_word(self, *words: str) -> bool:
        return self.kind == "keyword" and self.value in words


def _tokenize(text: str, start: int) -> list[_Token]:
    tokens: list[_Token] = []
    position = start
    while position < len(text):
        function = _FUNCTION_NAME.match(text, position)
        if function and (position == start or not (text[position - 1].isalnum()
                                                   or text[position - 1] == "_")):
            tokens.append(_Token("function", function.group(1), position))
            position = function.end()
            continue
        match = _TOKEN.match(text, position)
        if not match:
            char = text[position]
            if char == '"':
                raise FeelError(f"第 {position + 1} 个字符处的字符串没有结束引号",
                                f"unterminated string at position {position + 1}", position)
            raise FeelError(f"第 {position + 1} 个字符「{char}」无法识别",
                            f"unexpected character “{char}” at position {position + 1}", position)
        kind = match.lastgroup
        raw = match.group()
        if kind == "number":
            tokens.append(_Token("literal", float(raw) if "." in raw else int(raw), position))
        elif kind == "string":
            tokens.append(_Token("literal", _unescape(raw[1:-1]), position))
        elif kind == "op":
            tokens.append(_Token("op", raw, position))
        elif kind == "name":
            if raw in _REFUSED_WORDS:
                raise FeelError(
                    f"不支持「{raw}」（第 {position + 1} 个字符）：隐藏条件只能使用比较、and/or/not、"
                    "字段引用和常量",
                    f"“{raw}” (position {position + 1}) is not supported: a hide condition may use "
                    "only comparisons, and/or/not, field references and literals", position)
            tokens.append(_Token("keyword" if raw in _KEYWORDS else "name", raw, position))
        position = match.end()
    tokens.append(_Token("end", None, len(text)))
    return tokens


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


# -- parser: one method per precedence level, each returning a closure -----------------------------

class _Parser:
    def __init__(self, tokens: list[_Token], text: str):
        self.tokens = tokens
        self.index = 0
        self.text = text
        self.depth = 0

    @contextlib.contextmanager
    def nested(self, token: _Token) -> Iterator[None]:
        """One level deeper (a bracket, a call, a sign): refused past MAX_NESTING."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise FeelError(f"表达式嵌套超过 {MAX_NESTING} 层（第 {token.position + 1} 个字符处）",
                            f"the expression nests deeper than {MAX_NESTING} levels "
                            f"(at position {token.position + 1})", token.position)
        try:
            yield
        finally:
            self.depth -= 1

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: _Token | None = None) -> FeelError:
        token = token or self.token
        if token.kind == "end":
            if self.index == 0 or self.text.strip() in ("", "="):
                return FeelError("表达式为空", "the expression is empty", token.position)
            return FeelError("表达式不完整", "the expression ends too early", token.position)
        shown = self.text[token.position:token.position + 12]
        return FeelError(f"第 {token.position + 1} 个字符处「{shown}」不符合支持的表达式语法",
                         f"unexpected “{shown}” at position {token.position + 1}", token.position)

    def expect_op(self, op: str) -> None:
        if not self.token.is_op(op):
            raise self.fail()
        self.advance()

    def parse(self) -> Evaluator:
        evaluator = self.disjunction()
        if self.token.kind != "end":
            raise self.fail()
        return evaluator

    def disjunction(self) -> Evaluator:
        operands = [self.conjunction()]
        while self.token.is_word("or"):
            self.advance()
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else _any_true(operands)

    def conjunction(self) -> Evaluator:
        operands = [self.comparison()]
        while self.token.is_word("and"):
            self.advance()
            operands.append(self.comparison())
        return operands[0] if len(operands) == 1 else _all_true(operands)

    def comparison(self) -> Evaluator:
        left = self.additive()
        token = self.token
        if token.kind == "op" and token.value in _COMPARISONS:
            self.advance()
            return _binary(_COMPARISONS[token.value], left, self.additive())
        if token.is_word("in"):
            self.advance()
            return _membership(left, self.in_target())
        if token.is_word("between"):
            self.advance()
            low = self.additive()
            if not self.token.is_word("and"):
                raise self.fail()
            self.advance()
            high = self.additive()
            return _all_true([_binary(_ge, left, low), _binary(_le, left, high)])
        return left

    def in_target(self) -> Evaluator:
        """``x in [a, b]``, ``x in (a, b)`` or ``x in list_variable``."""
        if self.token.is_op("("):
            with self.nested(self.advance()):
                return _list_of(self.items_until(")"))
        return self.additive()

    def additive(self) -> Evaluator:
        first, steps = self.multiplicative(), []
        while self.token.is_op("+", "-"):
            steps.append((_add if self.advance().value == "+" else _subtract, self.multiplicative()))
        return _left_fold(first, steps) if steps else first

    def multiplicative(self) -> Evaluator:
        first, steps = self.unary(), []
        while self.token.is_op("*", "/"):
            steps.append((_multiply if self.advance().value == "*" else _divide, self.unary()))
        return _left_fold(first, steps) if steps else first

    def unary(self) -> Evaluator:
        if self.token.is_op("-"):
            with self.nested(self.advance()):
                operand = self.unary()
            return lambda scope: _negate(operand(scope))
        return self.postfix()

    def postfix(self) -> Evaluator:
        start = self.token
        evaluator = self.primary()
        names = [start.value] if start.kind == "name" else None
        while self.token.is_op("."):
            self.advance()
            if self.token.kind not in ("name", "keyword"):
                raise self.fail()
            name = self.advance().value
            if names is not None:
                names.append(name)
            else:
                evaluator = _member(evaluator, name)
        if names is not None:
            return _variable(tuple(names))
        return evaluator

    def primary(self) -> Evaluator:
        token = self.advance()
        if token.kind == "literal":
            value = token.value
            return lambda scope: value
        if token.is_word("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[token.value]
            return lambda scope: value
        if token.kind == "name":
            if self.token.is_op("("):
                raise FeelError(f"不支持函数「{token.value}」（第 {token.position + 1} 个字符）",
                                f"the function “{token.value}” (position {token.position + 1}) "
                                "is not supported", token.position)
            return _variable((token.value,))  # postfix() rebuilds it with the full path
        if token.kind == "function":
            self.expect_op("(")
            with self.nested(token):
                return self.call(token, self.items_until(")"))
        if token.is_op("("):
            with self.nested(token):
                inner = self.disjunction()
            self.expect_op(")")
            return inner
        if token.is_op("["):
            with self.nested(token):
                return _list_of(self.items_until("]"))
        raise self.fail(token)

    def items_until(self, closing: str) -> list[Evaluator]:
        items: list[Evaluator] = []
        if self.token.is_op(closing):
            self.advance()
            return items
        while True:
            items.append(self.disjunction())
            if self.token.is_op(","):
                self.advance()
                continue
            self.expect_op(closing)
            return items

    def call(self, token: _Token, arguments: list[Evaluator]) -> Evaluator:
        function, arity = _FUNCTIONS[token.value]
        if len(arguments) != arity:
            raise FeelError(f"函数「{token.value}」需要 {arity} 个参数",
                            f"function “{token.value}” takes {arity} argument(s)", token.position)
        if arity == 1:
            (only,) = arguments
            return lambda scope: function(only(scope))
        first, second = arguments
        return lambda scope: function(first(scope), second(scope))


# -- evaluation helpers --------------------------------------------------------------------------

def _variable(path: tuple[str, ...]) -> Evaluator:
    """A field reference. ``a.b`` walks nested objects; a flat key ``"a.b"`` is the fallback,
    because process variables sometimes keep form-js keys with dots unnested."""
    head, rest = path[0], path[1:]
    flat = ".".join(path)

    def lookup(scope: Scope) -> Any:
        value = scope.get(head, _MISSING)
        for name in rest:
            if value is _MISSING:
                break
            value = _get_member(value, name)
        if value is _MISSING:
            value = scope.get(flat) if rest else None
        return value

    if not rest:
        return lambda scope: scope.get(head)
    return lookup


def _get_member(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name, _MISSING)
    if isinstance(value, list):  # FEEL maps a path over a list
        return [item.get(name) if isinstance(item, Mapping) else None for item in value]
    return _MISSING


def _member(evaluator: Evaluator, name: str) -> Evaluator:
    def member(scope: Scope) -> Any:
        value = _get_member(evaluator(scope), name)
        return None if value is _MISSING else value
    return member


def _list_of(items: list[Evaluator]) -> Evaluator:
    return lambda scope: [item(scope) for item in items]


def _binary(op: Callable[[Any, Any], Any], left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda scope: op(left(scope), right(scope))


def _left_fold(first: Evaluator, steps: list[tuple[Callable[[Any, Any], Any], Evaluator]]) -> Evaluator:
    """``a + b - c`` in one loop: a long chain must not nest one closure per operator."""
    def fold(scope: Scope) -> Any:
        value = first(scope)
        for op, operand in steps:
            value = op(value, operand(scope))
        return value
    return fold


def _all_true(operands: list[Evaluator]) -> Evaluator:
    def conjunction(scope: Scope) -> bool | None:
        unknown = False
        for operand in operands:
            value = operand(scope)
            if value is False:
                return False
            if value is not True:
                unknown = True
        return None if unknown else True
    return conjunction


def _any_true(operands: list[Evaluator]) -> Evaluator:
    def disjunction(scope: Scope) -> bool | None:
        unknown = False
        for operand in operands:
            value = operand(scope)
            if value is True:
                return True
            if value is not False:
                unknown = True
        return None if unknown else False
    return disjunction


def _membership(value_of: Evaluator, target_of: Evaluator) -> Evaluator:
    def membership(scope: Scope) -> bool:
        value, target = value_of(scope), target_of(scope)
        if isinstance(target, list):
            return any(_equal(value, item) for item in target)
        return _equal(value, target)
    return membership


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    if _is_number(left) and _is_number(right):
        if isinstance(left, float) or isinstance(right, float):
            return float(left) == float(right)
        return left == right
    if type(left) is not type(right) and not (isinstance(left, Mapping)
                                              and isinstance(right, Mapping)):
        return False  # FEEL never equates values of different types ("1" = 1 is not true)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_equal, left, right))
    return left == right


def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool | None]:
    def ordered(left: Any, right: Any) -> bool | None:
        if _is_number(left) and _is_number(right):
            if isinstance(left, Decimal) and isinstance(right, float):
                left = float(left)
            elif isinstance(right, Decimal) and isinstance(left, float):
                right = float(right)
            return compare(left, right)
        if isinstance(left, str) and isinstance(right, str):
            return compare(left, right)  # ISO dates and times order correctly as text
        return None
    return ordered


_lt, _le = _ordering(operator.lt), _ordering(operator.le)
_gt, _ge = _ordering(operator.gt), _ordering(operator.ge)
_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "=": _equal,
    "!=": lambda left, right: not _equal(left, right),
    "<": _lt, "<=": _le, ">": _gt, ">=": _ge,
}


def _arithmetic(compute: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def arithmetic(left: Any, right: Any) -> Any:
        if not (_is_number(left) and _is_number(right)):
            return None
        if isinstance(left, Decimal) != isinstance(right, Decimal):
            left, right = float(left), float(right)
        try:
            return compute(left, right)
        except ArithmeticError:  # division by zero is null in FEEL
            return None
    return arithmetic


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, str) and isinstance(right, str):
        return left + right if len(left) + len(right) <= MAX_TEXT else None
    return _arithmetic_add(left, right)


_arithmetic_add = _arithmetic(operator.add)
_subtract = _arithmetic(operator.sub)
_multiply = _arithmetic(operator.mul)
_divide = _arithmetic(operator.truediv)


def _negate(value: Any) -> Any:
    return -value if _is_number(value) else None


def _on_text(compute: Callable[..., Any]) -> Callable[..., Any]:
    def on_text(*values: Any) -> Any:
        return compute(*values) if all(isinstance(v, str) for v in values) else None
    return on_text


def _not(value: Any) -> bool | None:
    return (not value) if isinstance(value, bool) else None


_FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {
    "not": (_not, 1),
    "is defined": (lambda value: value is not None, 1),
    "string length": (_on_text(len), 1),
    "upper case": (_on_text(str.upper), 1),
    "lower case": (_on_text(str.lower), 1),
    "contains": (_on_text(operator.contains), 2),
    "starts with": (_on_text(str.startswith), 2),
    "ends with": (_on_text(str.endswith), 2),
    "count": (lambda value: len(value) if isinstance(value, list) else None, 1),
    "is empty": (lambda value: len(value) == 0 if isinstance(value, list) else None, 1),
    "list contains": (lambda items, value: any(_equal(i, value) for i in items)
                      if isinstance(items, list) else None, 2),
}
