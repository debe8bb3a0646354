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

The rules per component are listed in :mod:`forms.input_fields`. Keys the form does not declare
are allowed: they are process variables.

Where the parts live: the component types in :mod:`forms.components`, the messages in
:mod:`forms.messages`, the input fields and validators in :mod:`forms.input_fields`, the group
and list fields in :mod:`forms.nested_fields`, the publish checks in :mod:`forms.definition_check`.
"""
from __future__ import annotations

import functools
import json
import marshal
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from marshmallow import Schema, fields

from forms.components import INPUT_TYPES, KNOWN_TYPES, split_path, type_of
from forms.definition_check import check_definition
from forms.feel import FeelError, compile_feel
from forms.input_fields import is_empty, make_input_field, pattern_budget
from forms.messages import MESSAGES, FieldSpec, normalize_lang
from forms.nested_fields import FormSchema, GroupField, ItemList

__all__ = ["INPUT_TYPES", "MESSAGES", "CompiledForm", "build_schema", "check_definition"]


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
            ctype = type_of(component)
            hide = _hide_test(component)
            if ctype == "dynamiclist":
                path = prefix + split_path(component.get("path"))
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
                group_path = split_path(component.get("path"))
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
                path = prefix + split_path(component["key"])
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
        with pattern_budget():
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
                not all(ends_here) or is_empty(copy[head])):
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
