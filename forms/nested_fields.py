"""The marshmallow fields that nest generated schemas (groups, dynamic lists) and their base schema."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing


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
