"""The checks run when a form definition is published: what would make it fail or mislead at run time."""
from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import regex

from forms.components import (
    CONTAINER_TYPES,
    INPUT_TYPES,
    KNOWN_TYPES,
    OPTION_TYPES,
    is_feel,
    split_path,
    static_options,
    type_of,
)
from forms.feel import FeelError, compile_feel

__all__ = ["check_definition"]


# -- publish-time checks ---------------------------------------------------------------------------

def check_definition(form: Any) -> list[dict]:
    """Problems that must stop a definition from being published, each
    ``{path, component_id, message_zh, message_en}`` (``path`` is the data path, with ``[]`` for
    dynamic-list items; empty for components without data)."""
    problems: list[dict] = []
    if not isinstance(form, dict) or not isinstance(form.get("components"), list):
        return [_problem("", None, "表单定义必须是包含 components 列表的 JSON 对象",
                         "a form definition must be a JSON object with a components list")]
    _check_components(form["components"], "", {}, problems)
    return problems


def _problem(path: str, component_id: Any, zh: str, en: str) -> dict:
    return {"path": path, "component_id": component_id, "message_zh": zh, "message_en": en}


def _join(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix else path


def _check_components(components: list, prefix: str, seen: dict[str, Any],
                      problems: list[dict]) -> None:
    """``seen`` maps the data paths already used in this form or list item to their component."""
    if not isinstance(components, list):
        problems.append(_problem(prefix, None, "components 必须是组件列表",
                                 "components must be a list of components"))
        return
    for component in components:
        if not isinstance(component, dict):
            problems.append(_problem(prefix, None, "组件必须是 JSON 对象",
                                     "a component must be a JSON object"))
            continue
        cid, ctype = component.get("id"), type_of(component)
        report = functools.partial(_report, problems, cid)
        if ctype not in KNOWN_TYPES:
            shown = component.get("type")
            report(prefix, f"未知的组件类型「{shown}」", f"unknown component type “{shown}”")
            continue
        path = prefix
        if ctype in INPUT_TYPES:
            key = component.get("key")
            if not isinstance(key, str) or not split_path(key):
                report(prefix, f"{ctype} 组件缺少字段键（key）", f"the {ctype} component has no key")
            else:
                path = _join(prefix, ".".join(split_path(key)))
                _claim(path, cid, seen, report)
                _check_rules(component, path, report)
        elif ctype in CONTAINER_TYPES:
            sub = ".".join(split_path(component.get("path")))
            if ctype == "dynamiclist" and not sub:
                report(prefix, "动态列表缺少路径（path）", "the dynamic list has no path")
            path = _join(prefix, sub) if sub else prefix
            if ctype == "dynamiclist" and sub:
                _claim(path, cid, seen, report)
                _check_components(component.get("components", []), path + "[]", {}, problems)
            else:
                _check_components(component.get("components", []), path, seen, problems)
        _check_hide(component, path, report)


def _report(problems: list[dict], component_id: Any, path: str, zh: str, en: str) -> None:
    problems.append(_problem(path, component_id, zh, en))


def _claim(path: str, component_id: Any, seen: dict[str, Any], report: Callable) -> None:
    """Two components writing the same value (or one writing inside the other's) clash."""
    for other, other_id in seen.items():
        if other == path or other.startswith(path + ".") or path.startswith(other + "."):
            report(path, f"字段键「{path}」与组件「{other_id}」重复",
                   f"the key “{path}” clashes with component “{other_id}”")
            return
    seen[path] = component_id


def _check_hide(component: dict, path: str, report: Callable) -> None:
    conditional = component.get("conditional")
    if conditional is None:
        return
    hide = conditional.get("hide") if isinstance(conditional, dict) else None
    if hide is None or isinstance(hide, bool) or hide == "":
        return
    if not isinstance(hide, str):
        report(path, "隐藏条件必须是以 = 开头的表达式",
               "the hide condition must be an expression starting with =")
        return
    if not hide.startswith("="):
        report(path, "隐藏条件必须以 = 开头（否则表单不会把它当作表达式）",
               "the hide condition must start with = (otherwise form-js does not evaluate it)")
        return
    try:
        compile_feel(hide)
    except FeelError as error:
        report(path, f"隐藏条件无法在服务器端计算：{error.message_zh}",
               f"the hide condition cannot be evaluated on the server: {error.message_en}")


_RULE_NAMES_ZH = {"min": "最小值", "max": "最大值", "minLength": "最小长度", "maxLength": "最大长度"}


def _checked_bound(rules: dict, name: str, path: str, report: Callable) -> Decimal | None:
    """The rule's limit as a number, None when absent or a FEEL expression; reports a bad one."""
    value = rules.get(name)
    if value is None or is_feel(value):
        return None
    try:
        number = Decimal(str(value)) if not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        report(path, f"校验规则 {name} 的值「{value}」不是数字",
               f"the {name} rule “{value}” is not a number")
        return None
    if name.endswith("Length") and not isinstance(value, int):
        report(path, f"校验规则 {name} 的值「{value}」必须是整数",
               f"the {name} rule “{value}” must be a whole number")
        return None
    return number


def _check_rules(component: dict, path: str, report: Callable) -> None:
    ctype = component["type"]
    rules = component.get("validate") if isinstance(component.get("validate"), dict) else {}
    pattern = rules.get("pattern")
    if isinstance(pattern, str) and pattern and not is_feel(pattern):
        try:
            regex.compile(pattern)  # the engine the submissions are checked with (forms.input_fields)
        except regex.error as error:
            report(path, f"正则表达式「{pattern}」无效：{error}",
                   f"the pattern “{pattern}” is not a valid regular expression: {error}")
    for low, high in (("min", "max"), ("minLength", "maxLength")):
        bounds = [_checked_bound(rules, name, path, report) for name in (low, high)]
        if None not in bounds and bounds[0] > bounds[1]:
            report(path,
                   f"{_RULE_NAMES_ZH[low]}（{rules[low]}）大于{_RULE_NAMES_ZH[high]}（{rules[high]}）",
                   f"{low} ({rules[low]}) is greater than {high} ({rules[high]})")
    if ctype in OPTION_TYPES:
        options = static_options(component)
        dynamic = component.get("valuesKey") or component.get("valuesExpression")
        if not dynamic and not options:
            report(path, f"{ctype} 组件没有可选项（values）",
                   f"the {ctype} component has no options (values)")
