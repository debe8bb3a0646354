"""Server-side validation of a form submission against a form-js schema.

The browser (form-js) validates too, but API callers (hotline, WeChat, video AI) submit
without it, so the server checks again before a task is completed or a case is started.

:func:`validate_submission` returns ``{field key: message}``; an empty dict means valid.
It checks, per input component:

- ``validate.required``: missing, ``None``, blank text, empty list; an unticked checkbox;
- the value's type: text for textfield/textarea, a number for number, true/false for checkbox,
  a date/time string for datetime, file references for filepicker;
- select/radio (and checklist/taglist) values must be among the component's static ``values``;
- ``validate.min``/``max`` (numbers), ``minLength``/``maxLength``/``pattern`` (text),
  ``validationType`` ``email``/``phone`` (textfield).

Components that are not input fields (text, html, button, spacer, …) are skipped; groups and
dynamic lists are walked. A component hidden by its ``conditional.hide`` expression is not
validated; the expression is FEEL, of which a small subset (comparisons, ``and``/``or``/``not``,
literals, variable names) is understood here. When the expression cannot be evaluated the
field is not required, but a value that is given is still checked. Constraints written as
FEEL expressions (``"=..."``) and dynamic options (``valuesKey``/``valuesExpression``) are
not checked. Keys in ``data`` that the form does not declare are allowed: they are process
variables.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import simpleeval

__all__ = ["validate_submission", "INPUT_TYPES"]

INPUT_TYPES = frozenset({
    "textfield", "textarea", "number", "select", "radio", "checkbox", "checklist",
    "taglist", "datetime", "filepicker",
})
_TEXT_TYPES = frozenset({"textfield", "textarea"})
_SINGLE_CHOICE = frozenset({"select", "radio"})
_MULTI_CHOICE = frozenset({"checklist", "taglist"})

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "required": "「{label}」为必填项",
        "text": "「{label}」必须是文本",
        "number": "「{label}」必须是数字",
        "boolean": "「{label}」必须是“是”或“否”（true/false）",
        "option": "「{label}」的值不在可选项中",
        "list": "「{label}」必须是列表",
        "min": "「{label}」不能小于 {limit}",
        "max": "「{label}」不能大于 {limit}",
        "minLength": "「{label}」至少需要 {limit} 个字符",
        "maxLength": "「{label}」最多 {limit} 个字符",
        "pattern": "「{label}」格式不正确",
        "email": "「{label}」不是有效的电子邮箱地址",
        "phone": "「{label}」不是有效的电话号码",
        "date": "「{label}」不是有效的日期（YYYY-MM-DD）",
        "time": "「{label}」不是有效的时间（HH:MM）",
        "datetime": "「{label}」不是有效的日期时间（ISO 8601，如 2026-01-05T08:30:00+08:00）",
        "file": "「{label}」必须是文件引用或文件引用列表",
    },
    "en": {
        "required": "“{label}” is required",
        "text": "“{label}” must be text",
        "number": "“{label}” must be a number",
        "boolean": "“{label}” must be true or false",
        "option": "“{label}” is not one of the allowed options",
        "list": "“{label}” must be a list",
        "min": "“{label}” must not be less than {limit}",
        "max": "“{label}” must not be greater than {limit}",
        "minLength": "“{label}” must have at least {limit} characters",
        "maxLength": "“{label}” must have at most {limit} characters",
        "pattern": "“{label}” has an invalid format",
        "email": "“{label}” is not a valid e-mail address",
        "phone": "“{label}” is not a valid phone number",
        "date": "“{label}” is not a valid date (YYYY-MM-DD)",
        "time": "“{label}” is not a valid time (HH:MM)",
        "datetime": "“{label}” is not a valid date and time (ISO 8601, e.g. 2026-01-05T08:30:00+08:00)",
        "file": "“{label}” must be a file reference or a list of file references",
    },
}

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
_TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?$")
_MISSING = object()


def _lang(lang: str | None) -> str:
    code = (lang or "zh").strip().lower().replace("_", "-")
    return "en" if code.split("-")[0] == "en" else "zh"


def validate_submission(form: dict, data: dict, lang: str = "zh") -> dict[str, str]:
    """Check ``data`` against the form-js schema ``form``; return ``{key: message}``."""
    messages = MESSAGES[_lang(lang)]
    data = data if isinstance(data, dict) else {}
    errors: dict[str, str] = {}
    _walk(form.get("components") or [], data, data, (), messages, errors, lang=_lang(lang))
    return errors


# -- walking the component tree ------------------------------------------------------------------

def _walk(components, data, scope, prefix, messages, errors, *, lang):
    """Validate ``components`` whose values live in ``scope`` (a dict); ``prefix`` is the key path
    of ``scope`` inside ``data``, used for error keys."""
    for component in components:
        if not isinstance(component, dict) or component.get("disabled") is True:
            continue
        hidden = _is_hidden(component, scope, data)
        if hidden is True:
            continue
        ctype = component.get("type")
        if ctype == "group" or (ctype not in INPUT_TYPES and "components" in component
                                and ctype != "dynamiclist"):
            path = _split(component.get("path"))
            inner = _lookup(scope, path) if path else scope
            _walk(component.get("components") or [], data,
                  inner if isinstance(inner, dict) else {}, prefix + path, messages, errors,
                  lang=lang)
        elif ctype == "dynamiclist":
            path = _split(component.get("path"))
            items = _lookup(scope, path) if path else _MISSING
            if isinstance(items, list):
                for index, item in enumerate(items):
                    _walk(component.get("components") or [], data,
                          item if isinstance(item, dict) else {},
                          prefix + path + (str(index),), messages, errors, lang=lang)
        elif ctype in INPUT_TYPES and component.get("key"):
            key_path = _split(component["key"])
            error = _check_field(component, _lookup(scope, key_path), messages,
                                 maybe_hidden=hidden is None, lang=lang)
            if error:
                errors[".".join(prefix + key_path)] = error


def _split(path: Any) -> tuple[str, ...]:
    if not isinstance(path, str) or not path:
        return ()
    return tuple(part for part in path.split(".") if part)


def _lookup(scope: dict, path: tuple[str, ...]) -> Any:
    """A value by form-js key path: the flat key first ("a.b" as one variable), then nesting."""
    if not path:
        return _MISSING
    flat = ".".join(path)
    if flat in scope:
        return scope[flat]
    value: Any = scope
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


# -- one field -----------------------------------------------------------------------------------

def _label(component: dict, lang: str) -> str:
    if lang == "en":
        props = component.get("properties")
        if isinstance(props, dict) and props.get("label_en"):
            return str(props["label_en"])
    for attr in ("label", "dateLabel", "timeLabel"):
        if component.get(attr):
            return str(component[attr])
    return str(component.get("key"))


def _is_empty(value: Any) -> bool:
    if value is _MISSING or value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict, set)):
        return len(value) == 0
    return False


def _static(rule: Any) -> bool:
    """Constraints written as FEEL (``"=..."``) are evaluated by form-js only."""
    return rule is not None and not (isinstance(rule, str) and rule.startswith("="))


def _check_field(component: dict, value: Any, messages: dict, *, maybe_hidden: bool,
                 lang: str) -> str | None:
    ctype = component["type"]
    rules = component.get("validate") if isinstance(component.get("validate"), dict) else {}
    label = _label(component, lang)

    def msg(code: str, limit: Any = None) -> str:
        return messages[code].format(label=label, limit=limit)

    required = rules.get("required") is True and not maybe_hidden
    if ctype == "checkbox":
        if value is _MISSING or value is None:
            return msg("required") if required else None
        if not isinstance(value, bool):
            return msg("boolean")
        return msg("required") if required and value is False else None
    if _is_empty(value):
        return msg("required") if required else None

    if ctype in _TEXT_TYPES:
        return _check_text(component, value, rules, msg)
    if ctype == "number":
        return _check_number(component, value, rules, msg)
    if ctype in _SINGLE_CHOICE:
        options = _options(component)
        if options is not None and not any(_same(value, o) for o in options):
            return msg("option")
        return None
    if ctype in _MULTI_CHOICE:
        if not isinstance(value, list):
            return msg("list")
        options = _options(component)
        if options is not None and not all(any(_same(v, o) for o in options) for v in value):
            return msg("option")
        return None
    if ctype == "datetime":
        return _check_datetime(component, value, msg)
    if ctype == "filepicker":
        refs = value if isinstance(value, list) else [value]
        if not all(isinstance(ref, str) and ref.strip() for ref in refs):
            return msg("file")
        return None
    return None


def _check_text(component, value, rules, msg):
    if not isinstance(value, str):
        return msg("text")
    min_length, max_length = rules.get("minLength"), rules.get("maxLength")
    if _static(min_length) and isinstance(min_length, int) and len(value) < min_length:
        return msg("minLength", min_length)
    if _static(max_length) and isinstance(max_length, int) and len(value) > max_length:
        return msg("maxLength", max_length)
    pattern = rules.get("pattern")
    if _static(pattern) and isinstance(pattern, str) and pattern:
        try:
            if not re.search(pattern, value):  # form-js uses RegExp.test: a search, not a full match
                return msg("pattern")
        except re.error:
            pass  # a pattern Python cannot compile is left to the browser
    validation_type = rules.get("validationType")
    if validation_type == "email" and not _EMAIL_RE.match(value.strip()):
        return msg("email")
    if validation_type == "phone" and not _PHONE_RE.match(value.strip()):
        return msg("phone")
    return None


def _as_number(component: dict, value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str) and component.get("serializeToString"):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _check_number(component, value, rules, msg):
    number = _as_number(component, value)
    if number is None:
        return msg("number")
    for code, compare in (("min", lambda n, lim: n < lim), ("max", lambda n, lim: n > lim)):
        limit = rules.get(code)
        if not _static(limit) or isinstance(limit, bool):
            continue
        try:
            bound = Decimal(str(limit))
        except InvalidOperation:
            continue
        if compare(number, bound):
            return msg(code, limit)
    return None


def _options(component: dict) -> list | None:
    """Static option values, or None when the options are dynamic (not checkable here)."""
    if component.get("valuesKey") or component.get("valuesExpression"):
        return None
    values = component.get("values")
    if not isinstance(values, list):
        return None
    return [v.get("value") for v in values if isinstance(v, dict)]


def _same(value: Any, option: Any) -> bool:
    if isinstance(value, bool) != isinstance(option, bool):
        return False
    return value == option


def _check_datetime(component, value, msg):
    subtype = component.get("subtype") or "datetime"
    if not isinstance(value, str):
        return msg(subtype if subtype in ("date", "time") else "datetime")
    text = value.strip()
    try:
        if subtype == "date":
            _dt.date.fromisoformat(text)
        elif subtype == "time":
            if not _TIME_RE.match(text):
                return msg("time")
        else:
            _dt.datetime.fromisoformat(text)
    except ValueError:
        return msg("date" if subtype == "date" else "datetime")
    return None


# -- conditional.hide: a small FEEL subset ---------------------------------------------------------

_FEEL_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>!=|<=|>=|=|<|>|\(|\))
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""", re.VERBOSE)
_FEEL_WORDS = {"and": "and", "or": "or", "not": "not", "true": "True", "false": "False",
               "null": "None"}


def _is_hidden(component: dict, scope: dict, data: dict) -> bool | None:
    """True (hidden), False (shown) or None (the expression is beyond the supported subset)."""
    conditional = component.get("conditional")
    if not isinstance(conditional, dict) or conditional.get("hide") in (None, ""):
        return False
    expression = conditional["hide"]
    if isinstance(expression, bool):
        return expression
    if not isinstance(expression, str):
        return None
    return _feel_truth(expression[1:] if expression.startswith("=") else expression,
                       scope, data)


def _feel_truth(expression: str, scope: dict, data: dict) -> bool | None:
    parts: list[str] = []
    names: dict[str, Any] = {}
    position = 0
    expression = expression.rstrip()
    while position < len(expression):
        match = _FEEL_TOKEN.match(expression, position)
        if not match or match.end() == position:
            return None
        position = match.end()
        if match.group("string") is not None:
            parts.append(match.group("string"))
        elif match.group("number") is not None:
            parts.append(match.group("number"))
        elif match.group("op") is not None:
            parts.append("==" if match.group("op") == "=" else match.group("op"))
        else:
            word = match.group("name")
            if word in _FEEL_WORDS:
                parts.append(_FEEL_WORDS[word])
            else:
                placeholder = f"_v{len(names)}"
                path = _split(word)
                value = _lookup(scope, path)
                if value is _MISSING:
                    value = _lookup(data, path)
                names[placeholder] = None if value is _MISSING else value
                parts.append(placeholder)
    if not parts:
        return None
    try:
        result = simpleeval.SimpleEval(names=names, functions={}).eval(" ".join(parts))
    except Exception:  # noqa: BLE001 - anything outside the subset means "cannot tell"
        return None
    return bool(result) if isinstance(result, bool) or result is None else None
