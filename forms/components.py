"""The form-js component vocabulary: which types exist, and how a component names its data.

Shared by :mod:`forms.schema_builder` (schemas for submissions) and :mod:`forms.definition_check`
(checks at publish), so both read a component the same way.
"""
from __future__ import annotations

from typing import Any

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
OPTION_TYPES = frozenset({"select", "radio", "checklist", "taglist"})


def split_path(path: Any) -> tuple[str, ...]:
    if not isinstance(path, str):
        return ()
    return tuple(part for part in path.split(".") if part)


def is_feel(rule: Any) -> bool:
    return isinstance(rule, str) and rule.startswith("=")


def type_of(component: dict) -> str:
    ctype = component.get("type")
    return ctype if isinstance(ctype, str) else ""


def static_options(component: dict) -> list | None:
    """The component's static option values, or None when its options come from data."""
    if component.get("valuesKey") or component.get("valuesExpression"):
        return None
    values = component.get("values")
    if not isinstance(values, list):
        return None
    return [v.get("value") for v in values if isinstance(v, dict)]
