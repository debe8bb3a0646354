"""Problems found in a deployment, reported all at once.

A designer fixing a diagram wants every problem in one round trip, so XSD
validation and lint collect Problems instead of raising at the first one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    code: str                 # stable, e.g. "lint.script_task"; clients switch on it
    element_id: str | None    # the BPMN/DMN element to highlight in the modeler
    message_zh: str
    message_en: str
    file: str | None = None
    line: int | None = None

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang.lower().startswith("en") else self.message_zh

    def to_dict(self, lang: str = "zh") -> dict:
        return {
            "code": self.code,
            "element_id": self.element_id,
            "message": self.message(lang),
            "file": self.file,
            "line": self.line,
        }


class DeploymentRejected(Exception):
    """A deployment refused because of one or more problems; nothing was stored."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = self.problems[0].message_en if self.problems else "no details"
        super().__init__(f"deployment rejected with {len(self.problems)} problem(s): {first}")


# engine.expressions explains in English; designers read Chinese.
_REASONS_ZH = [
    (re.compile(r"^expression is empty$"), "表达式为空"),
    (re.compile(r"^expression is too long$"), "表达式太长"),
    (re.compile(r"^syntax error \((.*)\)$"), "语法错误（{0}）"),
    (re.compile(r"^only a single expression is allowed$"), "只能写一个表达式，不能写语句或多行代码"),
    (re.compile(r"^expression is nested too deeply$"), "表达式嵌套太深"),
    (re.compile(r"^access to '(.*)' is not allowed$"), "不允许访问 {0}"),
    (re.compile(r"^name '(.*)' is not allowed$"), "不允许使用名称 {0}"),
    (re.compile(r"^dunder strings are not allowed$"), "不允许使用以双下划线开头的字符串"),
    (re.compile(r"^unknown variable '(.*)'$"), "未知的变量 {0}"),
]


def expression_reason_zh(reason: str) -> str:
    """The Chinese for an ExpressionError.reason; unknown reasons pass through."""
    for pattern, template in _REASONS_ZH:
        match = pattern.match(reason)
        if match:
            return template.format(*match.groups())
    return reason
