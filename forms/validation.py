"""Server-side validation of a form submission against its form-js definition.

The browser (form-js) validates too, but API callers (hotline, WeChat, video AI) submit
without it, so the server checks again before a task is completed or a case is started.

:func:`validate_submission` returns ``{field path: message}``; an empty dict means valid. The
rules and the generated marshmallow schemas live in :mod:`forms.schema_builder`, the FEEL subset
of ``conditional.hide`` in :mod:`forms.feel`.
"""
from __future__ import annotations

from forms.schema_builder import INPUT_TYPES, build_schema

__all__ = ["INPUT_TYPES", "validate_submission"]


def validate_submission(form: dict, data: dict, lang: str = "zh") -> dict[str, str]:
    """Check ``data`` against the form-js definition ``form``.

    Messages are zh-CN, or English for ``lang`` "en"/"en-US"; one per field, keyed by the
    field's data path (``address.street``, ``items[2].amount``).
    """
    return build_schema(form).validate(data, lang)
