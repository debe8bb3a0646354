"""Body fields that take JSON as it is written, not whatever marshmallow can coerce (found by fuzzing).

marshmallow's Boolean also takes 1, 0, "yes", "on"…: a client that sends ``"is_active": 0`` is mistaken, and
the API should say so rather than guess. (Integers: ``fields.Integer(strict=True)``, or 2.5 becomes 2.)
Query strings keep the lenient fields: there every value is text.
"""
from __future__ import annotations

from marshmallow import fields


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
