"""Input no database can store, and JSON past reason, refused before a view reads it (each was a 500 or worse).

- NUL: PostgreSQL text cannot hold it (``DataError``, a 500 on the production database; SQLite kept it).
- A lone surrogate (``"\\ud800"`` in JSON, with no partner): no UTF-8 encoder takes it, so every database refuses it.
- NaN and Infinity (also 1e999, which reads as Infinity): Python's json reads them, but they are not JSON; they were
  stored, then sent back in answers no JSON parser reads (and PostgreSQL's json type refuses them).
- A JSON body that is not an object: every body of this API is one, and code that reads a body before its schema
  does (the login rate limit's account key) may rely on that.
- Deep nesting: ``json.loads`` recurses, so ``[[[[…]]]]`` 100 000 levels deep was a RecursionError; no citybpm body
  needs more than a few levels (form data, dispatch tables), so anything past ``MAX_JSON_DEPTH`` is refused.
- A streamed (chunked) body past ``MAX_CONTENT_LENGTH``: with no Content-Length to refuse up front, werkzeug stops
  reading at the limit and hands over the start, which read as broken JSON (a 400); it is a 413 like any other.

Checked: path parameters, the query string, form fields, uploaded file names and JSON bodies. Runs as a
before-request hook of every API blueprint (see api.rest.CityApi), i.e. after authentication.
"""
from __future__ import annotations

import json
import math
import re

from flask import request
from webargs.flaskparser import is_json_request
from werkzeug.exceptions import RequestEntityTooLarge

from api.errors import ApiProblem
from api.i18n import pick, translate_marshmallow

MAX_JSON_DEPTH = 64
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MESSAGE = ("含有无法保存的字符（NUL 或不成对的 UTF-16 代理项）", "contains characters that cannot be stored "
            "(NUL or an unpaired UTF-16 surrogate)")


def refuse_unstorable_input() -> None:
    refuse_overlong_stream()
    bad: list[str] = []
    for values in (request.view_args or {}, request.args, request.form):
        for name, value in _items(values):
            if _UNSTORABLE.search(name) or (isinstance(value, str) and _UNSTORABLE.search(value)):
                bad.append(name)
    for name, upload in _items(request.files):
        if upload.filename and _UNSTORABLE.search(upload.filename):
            bad.append(name)
    if is_json_request(request):
        bad += _bad_json_fields(request.get_data(cache=True))
    if bad:
        message = pick(*_MESSAGE)
        raise ApiProblem(422, "validation_failed", "请求数据未通过校验", "the request data is invalid",
                         [{"field": name or None, "message": message} for name in dict.fromkeys(bad)])


def refuse_overlong_stream() -> None:
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(request.get_data(cache=True)) >= limit:
        raise RequestEntityTooLarge()  # the body reached the limit: the rest was never read


def _items(values):
    return values.items(multi=True) if hasattr(values, "getlist") else values.items()


# What the walk below can find, as it shows in the raw bytes: a \u0000 or \uD800–\uDFFF escape, a NUL byte, a
# surrogate written straight in UTF-8 (json.loads lets it through), NaN and Infinity, numbers past float range (an
# exponent of three digits, 300 digits in a row), and more brackets than the depth limit. A body with none of
# them (nearly every body) is not parsed a second time.
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\x00|\xed[\xa0-\xbf]|NaN|Infinity|[eE][+-]?\d{3}|\d{300}")


def _plainly_fine(raw: bytes) -> bool:
    return (raw.lstrip()[:1] == b"{" and raw.count(b"{") + raw.count(b"[") <= MAX_JSON_DEPTH
            and _SUSPECT.search(raw) is None)


def _bad_json_fields(raw: bytes) -> list[str]:
    if not raw or _plainly_fine(raw):
        return []
    try:
        document = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise _too_deep() from None
    except _NotJsonNumber as exc:
        raise ApiProblem(422, "validation_failed", "请求数据未通过校验", "the request data is invalid",
                         [{"field": None, "message": pick(f"JSON 中不能有 {exc}", f"{exc} is not JSON")}]) from None
    except ValueError:
        return []  # not JSON at all: webargs answers that with its own 400
    if not isinstance(document, dict):
        raise ApiProblem(422, "validation_failed", "请求数据未通过校验", "the request data is invalid",
                         [{"field": None, "message": translate_marshmallow("Not a valid mapping type.")}])
    bad, stack = [], [(document, "", 1)]
    while stack:  # iterative: the depth check must not recurse either
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                bad.append(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else key
                if _UNSTORABLE.search(key):
                    bad.append(child)
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{index}" if path else str(index), depth + 1)
                         for index, item in enumerate(value))
    return sorted(bad)


class _NotJsonNumber(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NotJsonNumber(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 reads as Infinity
        raise _NotJsonNumber(text)
    return value


def _too_deep() -> ApiProblem:
    return ApiProblem(400, "json_too_deep", f"JSON 嵌套过深（最多 {MAX_JSON_DEPTH} 层）",
                      f"the JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)")
