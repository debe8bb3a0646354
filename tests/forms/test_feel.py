"""forms.feel: the FEEL subset of form-js hide conditions, evaluated on the server."""
from __future__ import annotations

from decimal import Decimal

import pytest

from forms.feel import FeelError, compile_feel

SCOPE = {
    "kind": "a", "n": 4, "price": 12.5, "flag": True, "off": False, "empty": "", "nothing": None,
    "text": "井盖缺失", "tags": ["night", "school"],
    "reporter": {"name": "张三", "address": {"city": "北京"}},
    "contact.phone": "138",  # a process variable kept flat, as some callers send form keys
    "amount": Decimal("10.50"),
}


def evaluate(text, scope=SCOPE):
    return compile_feel(text).evaluate(scope)


@pytest.mark.parametrize("text,expected", [
    # literals
    ('"a"', "a"), ("12", 12), ("3.5", 3.5), ("true", True), ("false", False), ("null", None),
    ('"say \\"hi\\""', 'say "hi"'), ("[1, 2]", [1, 2]), ("[]", []),
    # comparisons
    ('kind = "a"', True), ('kind = "b"', False), ('kind != "b"', True), ("n < 5", True),
    ("n <= 4", True), ("n > 4", False), ("n >= 4", True), ("price > 12", True),
    ('"2026-01-05" < "2026-02-01"', True),  # ISO dates order as text
    ("amount = 10.5", True), ("amount > 10", True),
    # with the = form-js writes in front
    ('=kind = "a"', True), ("= n > 3", True),
    # field references: names, dotted paths, flat dotted keys, missing names are null
    ('reporter.name = "张三"', True), ('reporter.address.city = "北京"', True),
    ('contact.phone = "138"', True), ("missing = null", True), ("missing.deeper = null", True),
    ("nothing = null", True), ("flag = true", True), ("reporter.name.first = null", True),
    # boolean logic, parentheses
    ('kind = "a" and n > 3', True), ('kind = "b" or n > 3', True), ("not(flag)", False),
    ('not(kind = "a") or (n > 3 and flag)', True), ("(n > 3) = true", True),
    ("off or off", False), ("flag and off", False),
    # membership and ranges
    ('kind in ["a", "b"]', True), ('kind in ("x", "y")', False), ('"night" in tags', True),
    ("n between 1 and 4", True), ("n between 5 and 9", False),
    # arithmetic
    ("n * 2 + 1 = 9", True), ("price - 2.5 = 10", True), ("n / 2 = 2", True), ("-n < 0", True),
    ('"ab" + "c" = "abc"', True), ("n / 0", None),
    # functions
    ("is defined(kind)", True), ("is defined(missing)", False), ("not(is defined(nothing))", True),
    ("string length(text) = 4", True), ('contains(text, "井盖")', True),
    ('starts with(text, "井")', True), ('ends with(text, "缺失")', True),
    ('upper case(kind) = "A"', True), ('lower case("AB") = "ab"', True),
    ("count(tags) = 2", True), ("is empty(tags)", False), ('list contains(tags, "night")', True),
])
def test_subset_evaluates_like_feel(text, expected):
    assert evaluate(text) == expected


@pytest.mark.parametrize("text,expected", [
    # values of different types are never equal; ordering them gives null, not an exception
    ('n = "4"', False), ('n != "4"', True), ("flag = 1", False), ('n < "5"', None),
    ("flag > off", None), ("missing > 3", None), ("missing + 1", None), ("-kind", None),
    # three-valued and/or/not: null unless decided
    ("missing > 3 and flag", None), ("missing > 3 and off", False),
    ("missing > 3 or flag", True), ("missing > 3 or off", None), ("not(kind)", None),
    ("string length(n)", None), ("count(kind)", None),
])
def test_mismatched_types_and_nulls(text, expected):
    assert evaluate(text) is expected


def test_is_true_is_what_hides_a_field():
    # form-js hides a field only when the condition is exactly true
    assert compile_feel("n > 3").is_true(SCOPE) is True
    assert compile_feel("missing > 3").is_true(SCOPE) is False
    assert compile_feel("n").is_true(SCOPE) is False  # 4 is not true
    assert compile_feel('kind').is_true({"kind": "true"}) is False


def test_any_mapping_is_a_scope():
    from collections import ChainMap

    item = {"qty": 0}
    scope = ChainMap({"this": item}, item, {"qty": 5, "mode": "strict"})
    assert evaluate("qty = 0 and this.qty = 0 and mode = \"strict\"", scope) is True


def test_compiled_expressions_are_cached():
    assert compile_feel('=kind = "a"') is compile_feel('=kind = "a"')


@pytest.mark.parametrize("text,position,zh,en", [
    ("=", 1, "表达式为空", "the expression is empty"),
    ("   ", 3, "表达式为空", "the expression is empty"),
    ('=if kind = "a" then true else false', 1, "不支持「if」", "“if” (position 2) is not supported"),
    ("=some x in items satisfies x > 1", 1, "不支持「some」", "“some”"),
    ("for x in items return x", 0, "不支持「for」", "“for”"),
    ("x instance of number", 2, "不支持「instance」", "“instance”"),
    ('=date("2026-01-01") > day', 1, "不支持函数「date」", "the function “date”"),
    ('__import__("os").system("true")', 0, "不支持函数「__import__」", "“__import__”"),
    ("not(a, b)", 0, "函数「not」需要 1 个参数", "takes 1 argument"),
    ('kind = "a', 7, "字符串没有结束引号", "unterminated string at position 8"),
    ("n ~ 3", 2, "第 3 个字符「~」无法识别", "unexpected character “~” at position 3"),
    ("n > 3 &&  flag", 6, "「&」无法识别", "“&”"),
    ("n >", 3, "表达式不完整", "the expression ends too early"),
    ("(n > 3", 6, "表达式不完整", "ends too early"),
    ("n > 3)", 5, "第 6 个字符处「)」", "unexpected “)” at position 6"),
    ("kind flag", 5, "「flag」不符合支持的表达式语法", "unexpected “flag”"),
    ("[1..5]", 3, "第 4 个字符处", "position 4"),
    ("{a: 1}", 0, "「{」无法识别", "“{”"),
    ("n > 3 ? 1 : 2", 6, "「?」无法识别", "“?”"),
])
def test_outside_the_subset_is_refused_with_a_position(text, position, zh, en):
    with pytest.raises(FeelError) as caught:
        compile_feel(text)
    error = caught.value
    assert error.position == position
    assert zh in error.message_zh and en in error.message_en
    assert error.message("en") == error.message_en and error.message() == error.message_zh
    assert str(error) == error.message_en


def test_not_a_string_is_refused():
    with pytest.raises(FeelError):
        compile_feel(True)


def test_function_names_are_not_taken_from_longer_words():
    scope = {"counter": 3, "note": "x"}
    assert evaluate("counter = 3", scope) is True
    assert evaluate('note = "x"', scope) is True
    with pytest.raises(FeelError, match="notify"):
        compile_feel("notify(x)")


# -- limits: a condition is written by a form designer, but a saved form must never take the server down --

@pytest.mark.parametrize("opening,closing,levels_each", [
    ("(", ")", 1), ("[", "]", 1), ("not(", ")", 1), ("-", "", 1), ("count([", "])", 2), ("1 in (", ")", 1)])
def test_nesting_past_the_limit_is_refused_with_its_position(opening, closing, levels_each):
    from forms.feel import MAX_NESTING

    def nested(repeats):
        return opening * repeats + "1" + closing * repeats

    compile_feel(nested(MAX_NESTING // levels_each))  # at the limit: fine
    for repeats in (MAX_NESTING // levels_each + 1, 150):  # 150 used to end in RecursionError
        text = nested(repeats)
        with pytest.raises(FeelError) as caught:
            compile_feel(text)
        assert f"嵌套超过 {MAX_NESTING} 层" in caught.value.message_zh
        assert "nests deeper than" in caught.value.message_en
        # the position points into the opening that went one level too deep
        allowed = MAX_NESTING // levels_each
        assert allowed * len(opening) <= caught.value.position < (allowed + 1) * len(opening)


def test_the_deepest_allowed_expression_still_evaluates():
    from forms.feel import MAX_NESTING

    levels = MAX_NESTING // 2  # each level here is two: a call and a bracket
    text = "not((" * levels + "n > 3" + "))" * levels
    assert evaluate(text) is True  # an even number of not()


def test_an_overlong_expression_is_refused_before_parsing():
    from forms.feel import MAX_LENGTH

    with pytest.raises(FeelError) as caught:
        compile_feel("=" + "n = 1 or " * 1000 + "flag")
    assert f"最多 {MAX_LENGTH} 个" in caught.value.message_zh and "too long" in caught.value.message_en


def test_long_operator_chains_evaluate_in_a_loop():
    # 990 operators: one nested closure per operator passed Python's recursion limit when evaluated
    assert evaluate("0" + "+1" * 990) == 990
    assert evaluate("1" + "*1" * 300 + "-1" * 300) == -299
    assert evaluate("10 - 2 - 3") == 5 and evaluate("12 / 2 / 3") == 2  # still left to right


def test_joining_texts_stops_at_the_text_limit():
    from forms.feel import MAX_TEXT

    scope = {"a": "x" * (MAX_TEXT // 4)}
    assert evaluate("string length(a + a + a + a)", scope) == MAX_TEXT
    assert evaluate("a + a + a + a + a", scope) is None  # past the limit: null, as FEEL gives for a failed +
