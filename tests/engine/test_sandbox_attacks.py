"""Attacks on the expression sandbox (engine.expressions): each is refused with ExpressionError, by the sandbox's
own rules, in a process that may not use more than MEMORY_LIMIT.

The attacks run in one child process with an address-space limit: an attack that got through would fail there
with MemoryError (which the evaluator also turns into an ExpressionError, so that fallback is told apart) instead
of swapping the test machine to death. tests/engine/test_expressions.py holds the first, smaller list.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.expressions import ExpressionError, evaluate

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 512 * 1024 * 1024
HANG_GUARD_SECONDS = 120  # for the whole batch (about a second): a stuck attack fails the tests, not CI's patience

NAMES = {"x": 1, "photos": ["attachment:1"], "data": {"a": 1}, "text": "井盖破损"}

ATTACKS = {
    # dunders and escapes to Python
    "subclasses escape": "().__class__.__bases__[0].__subclasses__()",
    "subclasses in a comprehension": "[c for c in ().__class__.__base__.__subclasses__()]",
    "mro": "''.__class__.__mro__[1].__subclasses__()",
    "dunder of a variable": "x.__class__",
    "dunder of a registered function": "now.__globals__",
    "function code": "hours.__code__",
    "builtins": "__builtins__",
    "import": "__import__('os').system('id')",
    "dunder string": "'__class__'",
    "f-string dunder": "f'{x.__class__}'",
    "str.format reaches attributes": "'{0.__class__}'.format(x)",
    "method of a whitelisted function": "str.ljust('a', 10 ** 9)",
    "getattr": "getattr(x, '__class__')",
    "eval": "eval('1')",
    "lambda": "(lambda: 1)()",
    "lambda as sort key": "sorted(photos, key=lambda p: p)",
    "walrus": "(y := 1)",
    # huge numbers
    "tower of powers": "9 ** 9 ** 9",
    "power at simpleeval's own limit": "9 ** 3999999",
    "product of big powers": "2 ** 4000 * 2 ** 4000 * 2 ** 4000",
    "power of a power": "(2 ** 4000) ** 2",
    "shift chain": "1 << 10000 << 10000",
    # huge strings
    "repeated string": "'a' * 10 ** 9",
    "ljust": "'a'.ljust(10 ** 9)",
    "zfill": "'1'.zfill(10 ** 9)",
    "center": "text.center(10 ** 9)",
    "expandtabs": "'\\t'.expandtabs(10 ** 9)",
    "percent width": "'%0999999999d' % 1",
    "f-string width": "f'{1:>999999999}'",
    "replace amplifies": "('a' * 9999).replace('a', 'a' * 9999)",
    "join amplifies": "' '.join(['a' * 9999] * 9999)",
    "str of shared references": "str(['a' * 9999] * 9999)",
    "f-string of shared references": "f'{[text * 999] * 9999}'",
    "to_bytes": "(1).to_bytes(10 ** 9, 'big')",
    # huge lists
    "repeated list": "[0] * 10 ** 9",
    "list of a long string": "list('a' * 10 ** 6)",
    "sum of lists": "sum([[0] * 9999] * 9999, [])",
    "nested comprehension": "[1 for a in 'a' * 9999 for b in 'a' * 9999]",
    "generator into list": "list(1 for a in text * 2000 for b in text * 2000)",
    "sorted of shared references": "sorted(['a' * 9999] * 9999)",
    # deep nesting
    "10 000 parentheses": "(" * 10_000 + "1" + ")" * 10_000,
    "10 000 nots": "not " * 10_000 + "1",
    "900 nots": "not " * 900 + "1",
    "1 000 brackets": "[" * 1000 + "]" * 1000,
    "3 000 minus signs": "-" * 3000 + "1",
    "long chain of additions": "1" + " + 1" * 900,
    # side effects on the case's data
    "append to a variable": "photos.append('attachment:2')",
    "clear a variable": "data.clear()",
    "update a variable": "data.update(a=2)",
}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict]:
    """Each attack's outcome in a memory-limited child: {"refused": reason} or {"result"/"crash": …}."""
    try:
        child = subprocess.run([sys.executable, "-c", _CHILD, str(MEMORY_LIMIT)], input=json.dumps(ATTACKS),
                               capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=HANG_GUARD_SECONDS)
        output, errors = child.stdout, f"exit {child.returncode}: {child.stderr[-2000:]}"
    except subprocess.TimeoutExpired as stuck:
        output, errors = (stuck.stdout or b"").decode(), f"still running after {HANG_GUARD_SECONDS} s"
    found = {}
    for line in output.splitlines():
        found.update(json.loads(line))
    missing = [name for name in ATTACKS if name not in found]
    assert not missing, f"the child stopped at {missing[0]!r} ({ATTACKS[missing[0]][:60]!r}), {errors}"
    return found


_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from engine.expressions import ExpressionError, evaluate
from tests.engine.test_sandbox_attacks import NAMES
import copy
for name, attack in json.load(sys.stdin).items():
    names = copy.deepcopy(NAMES)
    try:
        outcome = {"result": repr(evaluate(attack, names))[:200]}
    except ExpressionError as exc:
        outcome = {"refused": exc.reason[:300], "names_unchanged": names == NAMES}
    except BaseException as exc:
        outcome = {"crash": f"{type(exc).__name__}: {str(exc)[:200]}"}
    print(json.dumps({name: outcome}), flush=True)
"""


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_is_refused_by_the_sandbox(name, outcomes):
    outcome = outcomes[name]
    assert "refused" in outcome, f"{ATTACKS[name][:80]!r} was not refused: {outcome}"
    assert "too much memory" not in outcome["refused"], "refused only because the child ran out of memory"
    assert outcome["names_unchanged"], "the expression changed the variables it was given"


def test_refusals_name_the_reason():
    with pytest.raises(ExpressionError) as info:
        evaluate("'a'.ljust(10 ** 9)")
    assert "ljust" in info.value.reason
    with pytest.raises(ExpressionError) as info:
        evaluate("9 ** 3999999")
    assert "larger than the sandbox allows" in info.value.reason


def test_ordinary_expressions_still_work():
    names = {"text": "井盖破损", "departments": ["D_WATER", "D_ROAD"], "amount": 2000, "data": {"a": 1}}
    assert evaluate("text.startswith('井盖') and len(departments) == 2", names) is True
    assert evaluate("amount * 3 // 100 + 2 ** 10", names) == 60 + 1024
    assert evaluate("str(departments) + '!'", names) == "['D_WATER', 'D_ROAD']!"
    assert evaluate("sum([amount, 100]) / 2", names) == 1050
    assert evaluate("data.get('a') + len([d for d in departments if d.endswith('ROAD')])", names) == 2
    assert evaluate("f'{amount}元'", names) == "2000元"
    assert evaluate("sorted(departments, reverse=True)[0].lower()", names) == "d_water"
    assert evaluate("days(2).total_seconds() / 3600 + datetime('2026-03-02T08:30').hour", names) == 56.0
