import pytest

from engine.expressions import ExpressionError, evaluate
from engine.timer_expressions import TimerExpressionError, normalize_timer_expression


@pytest.mark.parametrize("text, expected", [
    ("PT2H", '"PT2H"'),
    ("P3D", '"P3D"'),
    ("P1DT2H", '"P1DT2H"'),
    ("  PT30M\n", '"PT30M"'),
    ("2026-03-01T09:00:00+08:00", '"2026-03-01T09:00:00+08:00"'),
    ("2026-03-01T01:00:00Z", '"2026-03-01T01:00:00Z"'),
    ("R3/PT1H", '"R3/PT1H"'),
    ("R/2026-03-01T09:00:00+08:00/PT1H", '"R/2026-03-01T09:00:00+08:00/PT1H"'),
    ('"PT2H"', '"PT2H"'),
    ("'P3D'", "'P3D'"),
    ('"2026-03-01T09:00:00+08:00"', '"2026-03-01T09:00:00+08:00"'),
    ("add_work_hours(start, 2)", "add_work_hours(start, 2)"),
    ("due_at", "due_at"),
])
def test_accepted(text, expected):
    assert normalize_timer_expression(text) == expected


def test_bare_literal_becomes_a_string_the_evaluator_returns():
    assert evaluate(normalize_timer_expression("PT2H")) == "PT2H"
    assert evaluate(normalize_timer_expression("R3/PT1H")) == "R3/PT1H"


@pytest.mark.parametrize("text", [
    "", "   ", "P", "PT", "PT2X", "P1H",             # P1H: hours need the T
    "2026-13-01T09:00:00+08:00", "R3/PT1H/PT2H", "R/2026-03-01T09:00:00+08:00",
    '"tomorrow"', "1 +", "x = 1", "0 0 9 * * ?",
])
def test_rejected(text):
    with pytest.raises(ExpressionError) as info:
        normalize_timer_expression(text)
    assert isinstance(info.value, TimerExpressionError)
    assert info.value.reason_zh


@pytest.mark.parametrize("text", [
    "2026-03-01T09:00:00", '"2026-03-01T09:00:00"', "2026-03-01", "R/2026-03-01T09:00:00/PT1H",
])
def test_naive_datetimes_refused(text):
    with pytest.raises(TimerExpressionError) as info:
        normalize_timer_expression(text)
    assert "+08:00" in info.value.reason_zh
    assert "offset" in info.value.reason


@pytest.mark.parametrize("text, kind", [
    ("PT2H", "timeDate"),
    ("2026-03-01T09:00:00+08:00", "timeDuration"),
    ("R3/PT1H", "timeDuration"),
    ("PT2H", "timeCycle"),
])
def test_literal_must_match_timer_kind(text, kind):
    with pytest.raises(TimerExpressionError):
        normalize_timer_expression(text, kind)


@pytest.mark.parametrize("text, kind", [
    ("PT2H", "timeDuration"),
    ("2026-03-01T09:00:00+08:00", "timeDate"),
    ("R3/PT1H", "timeCycle"),
    ("add_work_hours(start, 2)", "timeDate"),  # expressions are checked when they run
])
def test_literal_matching_kind_accepted(text, kind):
    normalize_timer_expression(text, kind)
