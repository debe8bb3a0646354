"""marshmallow fields for form-js inputs, their validators, and the field made for each component.

Rules per component: ``validate.required`` (missing, ``null``, blank text and an empty list all
count as missing; a required checkbox must be ticked), the value's type, ``min``/``max``,
``minLength``/``maxLength``/``pattern`` (a search, as ``RegExp.test`` does, given at most
``PATTERN_SECONDS``), ``validationType``
email/phone, static ``values`` for select/radio/checklist/taglist, ISO dates/times/datetimes by
``subtype``, file references for filepicker. Constraints written as FEEL (``"=..."``) and dynamic
options (``valuesKey``/``valuesExpression``) are left to the browser.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any

import regex
from marshmallow import ValidationError, fields, missing

from forms.components import is_feel, static_options
from forms.messages import FieldSpec

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
# A designer's pattern runs on every submission. Python's ``re`` backtracks without limit while holding the GIL:
# ``^(\w+\s?)*$`` against 40 letters and a "!" froze the whole worker for hours. ``regex`` takes a time limit
# and lets other threads run while it matches.
PATTERN_SECONDS = 0.25
# A dynamic list repeats its fields as often as the submitter likes: without a total, 1 000 rows against a slow
# pattern would hold a thread for minutes. All of one submission's searches share this much of the thread's CPU
# (CPU, not wall time: waiting for the GIL on a busy server must not refuse honest values).
SUBMISSION_PATTERN_SECONDS = 1.0
_pattern_budget: ContextVar[list[float] | None] = ContextVar("pattern_budget", default=None)
_TIME_RE = re.compile(
    r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?$")


def is_empty(value: Any) -> bool:
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

    def __init__(self, pattern: re.Pattern, code: str = "pattern", strip: bool = False):
        self.search = pattern.search
        self.code = code
        self.strip = strip

    def __call__(self, value: str) -> None:
        if self.search(value.strip() if self.strip else value) is None:
            raise ValidationError(self.code)


@contextmanager
def pattern_budget(seconds: float = SUBMISSION_PATTERN_SECONDS):
    """The designer patterns searched inside share ``seconds`` of CPU; past it their values are refused."""
    token = _pattern_budget.set([seconds])
    try:
        yield
    finally:
        _pattern_budget.reset(token)


class DesignerPattern:
    """A form designer's ``pattern``, searched like ``RegExp.test`` within ``PATTERN_SECONDS`` (and what is left of
    the submission's ``pattern_budget``). A value it cannot decide in time is refused: the pattern backtracks too
    much, and the form must change."""

    def __init__(self, pattern: regex.Pattern):
        self.pattern = pattern

    def __call__(self, value: str) -> None:
        left = _pattern_budget.get()
        timeout = PATTERN_SECONDS if left is None else min(PATTERN_SECONDS, left[0])
        if timeout <= 0:
            raise ValidationError("patternTimeout")
        started = time.thread_time()
        try:
            found = self.pattern.search(value, timeout=timeout, concurrent=True)
        except TimeoutError:
            raise ValidationError("patternTimeout") from None
        finally:
            if left is not None:
                left[0] -= time.thread_time() - started
        if found is None:
            raise ValidationError("pattern")


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
        if is_empty(value):
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


# -- from components to fields -----------------------------------------------------------------------

def _text_validators(rules: dict, spec: FieldSpec) -> list[Callable]:
    checks: list[Callable] = []
    for code, make in (("minLength", MinLength), ("maxLength", MaxLength)):
        limit = rules.get(code)
        if isinstance(limit, int) and not isinstance(limit, bool):
            spec.limits[code] = limit
            checks.append(make(limit))
    pattern = rules.get("pattern")
    if isinstance(pattern, str) and pattern and not is_feel(pattern):
        try:
            checks.append(DesignerPattern(regex.compile(pattern)))
        except regex.error:
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
        if limit is None or isinstance(limit, bool) or is_feel(limit):
            continue
        try:
            checks.append(NumberBound(limit, code))
        except (InvalidOperation, ValueError, TypeError):
            continue
        spec.limits[code] = limit
    return checks


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
