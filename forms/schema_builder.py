"""marshmallow schemas generated from form-js definitions, and the checks run when a form is published.

The browser (form-js) validates too, but API callers (hotline, WeChat, video AI) submit without
it, so the server checks every submission against the definition it was made for.

:func:`build_schema` turns a definition into one marshmallow ``Schema`` per data object (the
form, each group with a ``path``, each dynamic-list item), once per definition content. A
:class:`CompiledForm` validates a submission in three steps:

1. evaluate the ``conditional.hide`` expressions (:mod:`forms.feel`) against the submission, per
   list item where the condition sits inside a dynamic list;
2. drop the hidden fields' values and load the rest with ``partial=`` the hidden paths, so a
   hidden field is neither required nor validated;
3. turn marshmallow's nested error dict into ``{"items[2].amount": "「金额」不能小于 0"}``.

Validators raise message *codes*; the label and language are applied only to the errors, so one
schema serves zh-CN and English.

Rules per component: ``validate.required`` (missing, ``null``, blank text and an empty list all
count as missing; a required checkbox must be ticked), the value's type, ``min``/``max``,
``minLength``/``maxLength``/``pattern`` (a search, as ``RegExp.test`` does), ``validationType``
email/phone, static ``values`` for select/radio/checklist/taglist, ISO dates/times/datetimes by
``subtype``, file references for filepicker. Constraints written as FEEL (``"=..."``) and dynamic
options (``valuesKey``/``valuesExpression``) are left to the browser. Keys the form does not
declare are allowed: they are process variables.
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import marshal
import math
import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing

from forms.feel import FeelError, compile_feel

__all__ = ["INPUT_TYPES", "MESSAGES", "CompiledForm", "build_schema", "check_definition"]

INPUT_TYPES = frozenset({
    "textfield", "textarea", "number", "select", "radio", "checkbox", "checklist",
    "taglist", "datetime", "filepicker",
})
CONTAINER_TYPES = frozenset({"group", "dynamiclist"})
# Shown to the user but carrying no submitted value the server must check (``expression`` is
# computed by form-js itself).
DISPLAY_TYPES = frozenset({
    "text", "html", "spacer", "separator", "button", "image", "iframe", "table", "expression",
    "documentPreview",
})
KNOWN_TYPES = INPUT_TYPES | CONTAINER_TYPES | DISPLAY_TYPES
_OPTION_TYPES = frozenset({"select", "radio", "checklist", "taglist"})

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
        "singleFile": "「{label}」只能上传一个文件",
        "object": "「{label}」必须是一组字段（JSON 对象）",
        "item": "「{label}」的每一项必须是一组字段（JSON 对象）",
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
        "singleFile": "“{label}” accepts only one file",
        "object": "“{label}” must be a group of fields (a JSON object)",
        "item": "each item of “{label}” must be a group of fields (a JSON object)",
    },
}

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
_TIME_RE = re.compile(
    r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?$")


def normalize_lang(lang: str | None) -> str:
    """``"en"``, ``"en-US"``, ``"en_GB"`` → ``"en"``; anything else → ``"zh"``."""
    code = (lang or "zh").strip().lower().replace("_", "-")
    return "en" if code.split("-")[0] == "en" else "zh"


def _split_path(path: Any) -> tuple[str, ...]:
    if not isinstance(path, str):
        return ()
    return tuple(part for part in path.split(".") if part)


def _is_feel(rule: Any) -> bool:
    return isinstance(rule, str) and rule.startswith("=")


def _is_empty(value: Any) -> bool:
    """form-js treats these as "no value": required fails, other rules do not apply."""
    if value is None or value is missing:
        return True
    if isinstance(value, str):
        return not value or value.isspace()
    if isinstance(value, (list, dict, tuple)):
        return not value
    return False


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, Decimal) and value.is_finite()


# -- what an error message needs to know about a field ----------------------------------------------

@dataclass(slots=True)
class FieldSpec:
    """The label (zh, en) and the limits of one component, for its error messages."""

    label_zh: str
    label_en: str
    limits: dict[str, Any] = dataclass_field(default_factory=dict)

    @classmethod
    def of(cls, component: dict, fallback: str) -> FieldSpec:
        label = fallback
        for attr in ("label", "dateLabel", "timeLabel"):
            if isinstance(component.get(attr), str) and component[attr].strip():
                label = component[attr]
                break
        props = component.get("properties")
        label_en = props.get("label_en") if isinstance(props, dict) else None
        return cls(label, label_en if isinstance(label_en, str) and label_en else label)

    def message(self, code: str, lang: str) -> str:
        template = MESSAGES[lang].get(code)
        label = self.label_en if lang == "en" else self.label_zh
        if template is None:  # a marshmallow message we did not map: keep it readable
            return f"{label}: {code}"
        return template.format(label=label, limit=self.limits.get(code, ""))


# -- validators: each raises a message code --------------------------------------------------------

class MinLength:
    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, value: str) -> None:
        if len(value) < self.limit:
            raise ValidationError("minLength")


class MaxLength:
    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, value: str) -> None:
        if len(value) > self.limit:
            raise ValidationError("maxLength")


class SearchPattern:
    """form-js tests patterns with ``RegExp.test``: a search anywhere, not a full match."""

    def __init__(self, regex: re.Pattern, code: str = "pattern", strip: bool = False):
        self.search = regex.search
        self.code = code
        self.strip = strip

    def __call__(self, value: str) -> None:
        if self.search(value.strip() if self.strip else value) is None:
            raise ValidationError(self.code)


class NumberBound:
    """``min``/``max``. Decimals (``serializeToString``) compare with a Decimal bound, floats and
    ints with the bound as JSON wrote it, so 0.1 is not greater than a maximum of 0.1."""

    def __init__(self, limit: Any, code: str):
        self.decimal = Decimal(str(limit))
        self.native = limit if isinstance(limit, (int, float)) else (
            int(self.decimal) if self.decimal == self.decimal.to_integral_value()
            else float(self.decimal))
        self.code = code
        self.too_far = (lambda v, b: v < b) if code == "min" else (lambda v, b: v > b)

    def __call__(self, value: Any) -> None:
        bound = self.decimal if isinstance(value, Decimal) else self.native
        if self.too_far(value, bound):
            raise ValidationError(self.code)


class AllowedValues:
    """Static options. ``True`` is not the option ``1``, nor ``"2"`` the option ``2``."""

    def __init__(self, options: list, code: str = "option"):
        self.options = [(type(o) is bool, o) for o in options]
        self.code = code

    def allows(self, value: Any) -> bool:
        is_bool = type(value) is bool
        return any(is_bool == option_is_bool and value == option
                   for option_is_bool, option in self.options)

    def __call__(self, value: Any) -> None:
        if not self.allows(value):
            raise ValidationError(self.code)


class EachAllowed(AllowedValues):
    def __call__(self, values: list) -> None:
        if not all(self.allows(value) for value in values):
            raise ValidationError(self.code)


class AtMostOneFile:
    def __call__(self, refs: list) -> None:
        if len(refs) > 1:
            raise ValidationError("singleFile")


# -- fields ----------------------------------------------------------------------------------------

class InputField(fields.Field):
    """One form-js input. Empty values are "missing" (required or nothing); otherwise the value's
    type is checked by :meth:`check_type` and the validators run until the first one fails: one
    message per field."""

    def __init__(self, spec: FieldSpec, *, required: bool, validators: list[Callable] = ()):
        super().__init__(required=required, allow_none=True)
        self.spec = spec
        self.is_required = required
        self.checks = tuple(validators)

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        if _is_empty(value):
            if self.is_required:
                raise ValidationError("required")
            return None
        value = self.check_type(value)
        for check in self.checks:
            check(value)
        return value

    def check_type(self, value: Any) -> Any:
        return value


class TextInput(InputField):
    def check_type(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError("text")
        return value


class NumberInput(InputField):
    def __init__(self, spec: FieldSpec, *, as_string: bool, **kwargs: Any):
        super().__init__(spec, **kwargs)
        self.as_string = as_string  # form-js ``serializeToString``: "12.50" keeps its digits

    def check_type(self, value: Any) -> Any:
        if _is_finite_number(value):
            return value
        if self.as_string and isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise ValidationError("number") from None
            if number.is_finite():
                return number
        raise ValidationError("number")


class MultiChoiceInput(InputField):
    def check_type(self, value: Any) -> list:
        if not isinstance(value, list):
            raise ValidationError("list")
        return value


class CheckboxInput(InputField):
    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any):
        if value is None or value is missing:
            if self.is_required:
                raise ValidationError("required")
            return None
        if not isinstance(value, bool):
            raise ValidationError("boolean")
        if self.is_required and value is False:
            raise ValidationError("required")  # "I confirm …" boxes must be ticked
        return value


class DateTimeInput(InputField):
    """ISO text as form-js serializes it: ``2026-01-05``, ``08:30+08:00``, ``2026-01-05T08:30Z``."""

    def __init__(self, spec: FieldSpec, *, subtype: str, **kwargs: Any):
        super().__init__(spec, **kwargs)
        self.code = subtype if subtype in ("date", "time") else "datetime"
        self.parse = {"date": _dt.date.fromisoformat, "time": self._parse_time}.get(
            subtype, _dt.datetime.fromisoformat)

    @staticmethod
    def _parse_time(text: str) -> None:
        if not _TIME_RE.match(text):
            raise ValueError(text)

    def check_type(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(self.code)
        try:
            self.parse(value.strip())
        except ValueError:
            raise ValidationError(self.code) from None
        return value


class FileInput(InputField):
    """File references: form-js's ``"files::…"`` key, an uploaded ``"file:…"`` id, or
    ``{"id": …, "name": …}``; one, or a list of them."""

    def check_type(self, value: Any) -> list:
        refs = value if isinstance(value, list) else [value]
        for ref in refs:
            if isinstance(ref, str):
                if ref.strip():
                    continue
            elif isinstance(ref, Mapping):
                ref_id, name = ref.get("id"), ref.get("name")
                if isinstance(ref_id, str) and ref_id.strip() and (name is None
                                                                   or isinstance(name, str)):
                    continue
            raise ValidationError("file")
        return refs


class GroupField(fields.Nested):
    """A group with a ``path`` (or the object behind a dotted key). An absent object is loaded as
    ``{}`` so that its required fields are reported."""

    def __init__(self, nested: Any):
        super().__init__(nested, unknown=EXCLUDE)

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None,
                    partial: Any = None, **kwargs: Any):
        if value is missing or value is None:
            value = {}
        elif not isinstance(value, Mapping):
            raise ValidationError("object")
        errors = self.schema.validate(value, partial=partial or None)
        if errors:
            raise ValidationError(errors)
        return value


class ItemList(fields.List):
    """A dynamic list: ``List(Nested(item schema))``. Conditions inside the list hide fields of
    one item only, so ``partial`` arrives as ``"<index>.<field>"`` and is routed per item."""

    def __init__(self, item_schema: type[Schema]):
        super().__init__(fields.Nested(item_schema, unknown=EXCLUDE))

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None,
                    partial: Any = None, **kwargs: Any):
        if value is missing or value is None:
            return None
        if not isinstance(value, list):
            raise ValidationError("list")
        schema = self.inner.schema
        per_item = _partial_per_item(partial) if partial else {}
        errors: dict[int, Any] = {}
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                errors[index] = ["item"]
                continue
            item_errors = schema.validate(item, partial=per_item.get(index))
            if item_errors:
                errors[index] = item_errors
        if errors:
            raise ValidationError(errors)
        return value


def _partial_per_item(partial: Any) -> dict[int, list[str]]:
    per_item: dict[int, list[str]] = {}
    for entry in partial:
        index, _, rest = entry.partition(".")
        if index.isdigit() and rest:
            per_item.setdefault(int(index), []).append(rest)
    return per_item


class FormSchema(Schema):
    """Base of every generated schema: unknown keys are process variables, not errors."""

    class Meta:
        unknown = EXCLUDE
        register = False  # generated classes must not pile up in marshmallow's class registry


# -- from components to fields -----------------------------------------------------------------------

def _text_validators(rules: dict, spec: FieldSpec) -> list[Callable]:
    checks: list[Callable] = []
    for code, make in (("minLength", MinLength), ("maxLength", MaxLength)):
        limit = rules.get(code)
        if isinstance(limit, int) and not isinstance(limit, bool):
            spec.limits[code] = limit
            checks.append(make(limit))
    pattern = rules.get("pattern")
    if isinstance(pattern, str) and pattern and not _is_feel(pattern):
        try:
            checks.append(SearchPattern(re.compile(pattern)))
        except re.error:
            pass  # refused at publish by check_definition; an older definition keeps working
    validation_type = rules.get("validationType")
    if validation_type == "email":
        checks.append(SearchPattern(_EMAIL_RE, "email", strip=True))
    elif validation_type == "phone":
        checks.append(SearchPattern(_PHONE_RE, "phone", strip=True))
    return checks


def _number_validators(rules: dict, spec: FieldSpec) -> list[Callable]:
    checks: list[Callable] = []
    for code in ("min", "max"):
        limit = rules.get(code)
        if limit is None or isinstance(limit, bool) or _is_feel(limit):
            continue
        try:
            checks.append(NumberBound(limit, code))
        except (InvalidOperation, ValueError, TypeError):
            continue
        spec.limits[code] = limit
    return checks


def static_options(component: dict) -> list | None:
    """The component's static option values, or None when its options come from data."""
    if component.get("valuesKey") or component.get("valuesExpression"):
        return None
    values = component.get("values")
    if not isinstance(values, list):
        return None
    return [v.get("value") for v in values if isinstance(v, dict)]


def make_input_field(component: dict, fallback_label: str) -> InputField:
    ctype = component["type"]
    rules = component.get("validate") if isinstance(component.get("validate"), dict) else {}
    spec = FieldSpec.of(component, fallback_label)
    required = rules.get("required") is True
    if ctype in ("textfield", "textarea"):
        return TextInput(spec, required=required, validators=_text_validators(rules, spec))
    if ctype == "number":
        return NumberInput(spec, required=required, validators=_number_validators(rules, spec),
                           as_string=component.get("serializeToString") is True)
    if ctype in ("select", "radio"):
        options = static_options(component)
        return InputField(spec, required=required,
                          validators=[AllowedValues(options)] if options is not None else [])
    if ctype in ("checklist", "taglist"):
        options = static_options(component)
        return MultiChoiceInput(spec, required=required,
                                validators=[EachAllowed(options)] if options is not None else [])
    if ctype == "checkbox":
        return CheckboxInput(spec, required=required)
    if ctype == "datetime":
        subtype = component.get("subtype")
        return DateTimeInput(spec, required=required,
                             subtype=subtype if subtype in ("date", "time") else "datetime")
    if ctype == "filepicker":
        # ``multiple`` may be a FEEL expression: then the browser decides
        single = component.get("multiple") in (None, False)
        return FileInput(spec, required=required, validators=[AtMostOneFile()] if single else [])
    raise ValueError(f"not an input type: {ctype}")


# -- the tree of data objects, and the conditions over it -----------------------------------------

Path = tuple  # of str keys and, below a dynamic list, int indexes
HideTest = Callable[[Mapping], "bool | None"]


@dataclass(slots=True)
class _Object:
    """One data object: the form, a group with a path, a dotted key's parent, a list item."""

    spec: FieldSpec
    children: dict[str, Any] = dataclass_field(default_factory=dict)  # name → InputField | _Object | _List


@dataclass(slots=True)
class _List:
    spec: FieldSpec
    item: _Object


@dataclass(slots=True)
class _Condition:
    """A component whose visibility depends on the data, or a container holding such components.

    ``covers`` are the data paths (relative to the enclosing form or list item) that disappear
    when the component is hidden."""

    hide: HideTest | None
    covers: list[Path]
    kind: str  # "field" | "group" | "list"
    scope_path: Path = ()  # group path, or the list's path
    children: list[_Condition] = dataclass_field(default_factory=list)


def _type_of(component: dict) -> str:
    ctype = component.get("type")
    return ctype if isinstance(ctype, str) else ""


def _hide_test(component: dict) -> HideTest | None:
    """None: always shown. The test returns True (hidden), False (shown) or None (cannot tell:
    an expression beyond the FEEL subset, which publishing refuses but older definitions may hold)."""
    conditional = component.get("conditional")
    if not isinstance(conditional, dict):
        return None
    hide = conditional.get("hide")
    if hide is None or hide is False or hide == "" or hide == "=":
        return None
    if hide is True:
        return lambda scope: True
    if not isinstance(hide, str):
        return lambda scope: None
    try:
        expression = compile_feel(hide)
    except FeelError:
        return lambda scope: None
    return expression.is_true


class _TreeBuilder:
    def __init__(self) -> None:
        self.dotted_root_paths: list[Path] = []

    def record(self, components: list, spec: FieldSpec, *, is_root: bool) -> tuple[_Object, list]:
        obj = _Object(spec)
        conditions: list[_Condition] = []
        self._add(components, obj, (), conditions, is_root)
        return obj, conditions

    def _add(self, components: Any, obj: _Object, prefix: Path, conditions: list,
             is_root: bool) -> list[Path]:
        """Add ``components`` living under ``prefix`` of ``obj``; return the paths they cover."""
        covered: list[Path] = []
        for component in components if isinstance(components, list) else ():
            if not isinstance(component, dict) or component.get("disabled") is True:
                continue
            ctype = _type_of(component)
            hide = _hide_test(component)
            if ctype == "dynamiclist":
                path = prefix + _split_path(component.get("path"))
                if len(path) == len(prefix):
                    continue  # a list without a path has nowhere to keep its items
                label = ".".join(path)
                item, item_conditions = self.record(component.get("components"),
                                                    FieldSpec.of(component, label), is_root=False)
                _insert(obj, path, _List(item.spec, item))
                covered.append(path)
                if hide or item_conditions:
                    conditions.append(_Condition(hide, [path], "list", path, item_conditions))
            elif ctype == "group" or (ctype not in KNOWN_TYPES and "components" in component):
                group_path = _split_path(component.get("path"))
                path = prefix + group_path
                if group_path:
                    _insert(obj, path, _Object(FieldSpec.of(component, ".".join(path))),
                            keep_children=True)
                inner: list[_Condition] = []
                inner_covered = self._add(component.get("components"), obj, path, inner, is_root)
                covered.extend(inner_covered)
                if hide or inner:
                    # the group's own object is searched first when its conditions name fields
                    conditions.append(_Condition(hide, inner_covered, "group",
                                                 path if group_path else (), inner))
            elif ctype in INPUT_TYPES and isinstance(component.get("key"), str):
                path = prefix + _split_path(component["key"])
                if len(path) == len(prefix):
                    continue
                _insert(obj, path, make_input_field(component, component["key"]))
                covered.append(path)
                if is_root and len(path) > 1:
                    self.dotted_root_paths.append(path)
                if hide:
                    conditions.append(_Condition(hide, [path], "field"))
        return covered


def _insert(obj: _Object, path: Path, node: Any, keep_children: bool = False) -> None:
    """Place ``node`` at ``path`` below ``obj``, creating the objects in between. A later
    component at the same path replaces an earlier one (check_definition reports it)."""
    for name in path[:-1]:
        child = obj.children.get(name)
        if not isinstance(child, _Object):
            child = obj.children[name] = _Object(FieldSpec(name, name))
        obj = child
    existing = obj.children.get(path[-1])
    if keep_children and isinstance(existing, _Object) and isinstance(node, _Object):
        existing.spec = node.spec  # a group path met again (two groups, or a dotted key first)
        return
    obj.children[path[-1]] = node


def _schema_class(obj: _Object, name: str) -> type[Schema]:
    declared: dict[str, fields.Field] = {}
    for key, child in obj.children.items():
        if isinstance(child, _Object):
            declared[key] = GroupField(_schema_class(child, f"{name}_{key}"))
        elif isinstance(child, _List):
            declared[key] = ItemList(_schema_class(child.item, f"{name}_{key}_item"))
        else:
            declared[key] = child
    # Built with type() rather than Schema.from_dict: a form key named "Meta" must stay a field.
    return type(name, (FormSchema,), declared)


# -- the compiled form -----------------------------------------------------------------------------

class CompiledForm:
    """A form definition turned into marshmallow schemas and compiled hide conditions."""

    def __init__(self, form: dict):
        form = form if isinstance(form, dict) else {}
        builder = _TreeBuilder()
        self.tree, self.conditions = builder.record(form.get("components"), FieldSpec("", ""),
                                                    is_root=True)
        self.dotted_root_paths = builder.dotted_root_paths
        self.schema = _schema_class(self.tree, "FormSubmission")()

    def validate(self, data: Any, lang: str = "zh") -> dict[str, str]:
        """``{path: message}`` for ``data``; empty when valid. Paths look like ``address.street``
        and ``items[2].amount`` (0-based)."""
        data = data if isinstance(data, Mapping) else {}
        if self.dotted_root_paths:
            data = _nest_flat_keys(data, self.dotted_root_paths)
        partial = None
        if self.conditions:
            hidden: list[Path] = []
            unsure: list[Path] = []
            _collect_hidden(self.conditions, data, data, (), (), hidden, unsure)
            if hidden or unsure:
                data = _without(data, [(p, False) for p in hidden] + [(p, True) for p in unsure])
                partial = [".".join(map(str, path)) for path in hidden + unsure]
        errors = self.schema.validate(data, partial=partial)
        if not errors:
            return {}
        messages: dict[str, str] = {}
        _flatten(errors, self.tree, "", normalize_lang(lang), messages)
        return messages

    def hidden_paths(self, data: Mapping) -> list[str]:
        """The data paths hidden by conditions for ``data`` (for the viewer and for tests)."""
        data = data if isinstance(data, Mapping) else {}
        hidden: list[Path] = []
        _collect_hidden(self.conditions, data, data, (), (), hidden, [])
        return [_path_text(path) for path in hidden]


def _collect_hidden(conditions: list[_Condition], record: Mapping, scope: Mapping, prefix: Path,
                    indexes: tuple[int, ...], hidden: list[Path], unsure: list[Path]) -> None:
    """Walk the conditions the way form-js does: against the submitted (unfiltered) data; inside
    a dynamic list, per item, with the item's fields visible by name and as ``this``."""
    for condition in conditions:
        verdict = condition.hide(scope) if condition.hide is not None else False
        if verdict is True:
            hidden.extend(prefix + path for path in condition.covers)
            continue
        if verdict is None:
            unsure.extend(prefix + path for path in condition.covers)
        if not condition.children:
            continue
        if condition.kind == "group":
            inner = scope
            if condition.scope_path:
                value = _lookup(record, condition.scope_path)
                if isinstance(value, Mapping):
                    inner = ChainMap(value, scope)
            _collect_hidden(condition.children, record, inner, prefix, indexes, hidden, unsure)
        elif condition.kind == "list":
            items = _lookup(record, condition.scope_path)
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items):
                if not isinstance(item, Mapping):
                    continue
                item_indexes = indexes + (index + 1,)  # FEEL's ``i`` counts from 1
                names = {"this": item, "_this_": item, "parent": scope, "_parent_": scope,
                         "i": list(item_indexes), "_i_": list(item_indexes)}
                _collect_hidden(condition.children, item, ChainMap(names, item, scope),
                                prefix + condition.scope_path + (index,), item_indexes,
                                hidden, unsure)


def _lookup(record: Mapping, path: Path) -> Any:
    value: Any = record
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def _without(value: Any, paths: list[tuple[Path, bool]]) -> Any:
    """A copy of ``value`` without the values at ``paths`` (copying only what lies on the way).
    Paths flagged True are removed only when their value is empty."""
    by_head: dict[Any, list[tuple[Path, bool]]] = {}
    for path, only_if_empty in paths:
        by_head.setdefault(path[0], []).append((path[1:], only_if_empty))
    copy: Any = dict(value) if isinstance(value, Mapping) else list(value)
    for head, rests in by_head.items():
        if isinstance(copy, dict):
            if head not in copy:
                continue
        elif not (isinstance(head, int) and 0 <= head < len(copy)):
            continue
        ends_here = [only_if_empty for rest, only_if_empty in rests if not rest]
        if ends_here and isinstance(copy, dict) and (
                not all(ends_here) or _is_empty(copy[head])):
            del copy[head]
            continue
        deeper = [(rest, only_if_empty) for rest, only_if_empty in rests if rest]
        if deeper and isinstance(copy[head], (Mapping, list)):
            copy[head] = _without(copy[head], deeper)
    return copy


def _nest_flat_keys(data: Mapping, dotted_paths: list[Path]) -> Mapping:
    """Process variables may hold a form key ``"contact.phone"`` flat; form-js nests it. The flat
    value wins, as it did in the hand-walking validator."""
    flat = [(path, ".".join(path)) for path in dotted_paths]
    if not any(key in data for _, key in flat):
        return data
    data = dict(data)
    for path, key in flat:
        if key not in data:
            continue
        target = data
        for name in path[:-1]:
            child = target.get(name)
            child = dict(child) if isinstance(child, Mapping) else {}
            target[name] = child
            target = child
        target[path[-1]] = data[key]
    return data


def _path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _flatten(errors: dict, obj: _Object, prefix: str, lang: str, out: dict[str, str]) -> None:
    for name, messages in errors.items():
        node = obj.children.get(name)
        path = f"{prefix}.{name}" if prefix else str(name)
        spec = node.spec if node is not None else FieldSpec(path, path)
        if isinstance(messages, list):
            out[path] = spec.message(str(messages[0]), lang)
        elif isinstance(node, _Object):
            _flatten(messages, node, path, lang, out)
        elif isinstance(node, _List):
            for index, item_errors in messages.items():
                item_path = f"{path}[{index}]"
                if isinstance(item_errors, list):
                    out[item_path] = spec.message(str(item_errors[0]), lang)
                else:
                    _flatten(item_errors, node.item, item_path, lang, out)


@functools.lru_cache(maxsize=256)
def _compiled(content: bytes | str) -> CompiledForm:
    form = marshal.loads(content) if isinstance(content, bytes) else json.loads(content)
    return CompiledForm(form)


def build_schema(form: dict) -> CompiledForm:
    """The compiled schemas for ``form``, built once per definition content.

    The cache is keyed by the definition's content, not by key and version: a draft changes
    without a new version, and the API hands over a fresh copy of the definition on every call.
    The content is serialized with marshal format 0 — about three times faster than
    ``json.dumps`` on a 60-field form, and, unlike later formats, it does not depend on which
    strings happen to be interned, so equal definitions give equal keys.
    """
    try:
        content: bytes | str = marshal.dumps(form, 0)
    except ValueError:  # a value JSON would not hold either (Decimal, date, …)
        content = json.dumps(form, ensure_ascii=False, sort_keys=True, default=str)
    return _compiled(content)


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
        cid, ctype = component.get("id"), _type_of(component)
        report = functools.partial(_report, problems, cid)
        if ctype not in KNOWN_TYPES:
            shown = component.get("type")
            report(prefix, f"未知的组件类型「{shown}」", f"unknown component type “{shown}”")
            continue
        path = prefix
        if ctype in INPUT_TYPES:
            key = component.get("key")
            if not isinstance(key, str) or not _split_path(key):
                report(prefix, f"{ctype} 组件缺少字段键（key）", f"the {ctype} component has no key")
            else:
                path = _join(prefix, ".".join(_split_path(key)))
                _claim(path, cid, seen, report)
                _check_rules(component, path, report)
        elif ctype in CONTAINER_TYPES:
            sub = ".".join(_split_path(component.get("path")))
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
    if value is None or _is_feel(value):
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
    if isinstance(pattern, str) and pattern and not _is_feel(pattern):
        try:
            re.compile(pattern)
        except re.error as error:
            report(path, f"正则表达式「{pattern}」无效：{error}",
                   f"the pattern “{pattern}” is not a valid regular expression: {error}")
    for low, high in (("min", "max"), ("minLength", "maxLength")):
        bounds = [_checked_bound(rules, name, path, report) for name in (low, high)]
        if None not in bounds and bounds[0] > bounds[1]:
            report(path,
                   f"{_RULE_NAMES_ZH[low]}（{rules[low]}）大于{_RULE_NAMES_ZH[high]}（{rules[high]}）",
                   f"{low} ({rules[low]}) is greater than {high} ({rules[high]})")
    if ctype in _OPTION_TYPES:
        options = static_options(component)
        dynamic = component.get("valuesKey") or component.get("valuesExpression")
        if not dynamic and not options:
            report(path, f"{ctype} 组件没有可选项（values）",
                   f"the {ctype} component has no options (values)")
