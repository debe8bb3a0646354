"""citybpm forms: form-js definitions and the server-side form service.

- :mod:`forms.definitions` loads the form-js JSON schemas in ``forms/definitions/``.
- :mod:`forms.validation` checks a submission against a schema (zh-CN / English messages).
"""
from forms.definitions import FORMS_DIR, FormNotFound, form_exists, list_forms, load_form
from forms.validation import validate_submission

__all__ = [
    "FORMS_DIR",
    "FormNotFound",
    "form_exists",
    "list_forms",
    "load_form",
    "validate_submission",
]
