"""The form-js schemas shipped in ``forms/definitions/<formKey>.json``.

A BPMN user task or start event names its form with ``camunda:formKey``; the key is the file
name without ``.json`` and equals the schema's ``"id"``. Files are read once per process and
cached; call :func:`clear_cache` after changing files at run time.
"""
from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

FORMS_DIR = Path(__file__).resolve().parent / "definitions"

# Keys are plain names: no path separators, no leading dot, so a key can never leave FORMS_DIR.
_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class FormNotFound(KeyError):
    """No form definition with that key."""

    def __init__(self, key: Any):
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"form not found: {self.key!r}"


@functools.lru_cache(maxsize=1)
def _keys() -> frozenset[str]:
    if not FORMS_DIR.is_dir():
        return frozenset()
    return frozenset(p.stem for p in FORMS_DIR.glob("*.json") if _KEY_RE.match(p.stem))


@functools.lru_cache(maxsize=None)
def _parsed(key: str) -> dict:
    with open(FORMS_DIR / f"{key}.json", encoding="utf-8") as fh:
        form = json.load(fh)
    if not isinstance(form, dict):
        raise ValueError(f"form {key!r}: the schema is not a JSON object")
    return form


def list_forms() -> list[str]:
    """The keys of all shipped forms, sorted."""
    return sorted(_keys())


def form_exists(key: str) -> bool:
    return isinstance(key, str) and key in _keys()


def load_form(key: str) -> dict:
    """The form-js schema for ``key`` (a fresh copy: callers may modify it).

    Raises :class:`FormNotFound` when there is no such form.
    """
    if not form_exists(key):
        raise FormNotFound(key)
    return copy.deepcopy(_parsed(key))


def clear_cache() -> None:
    _keys.cache_clear()
    _parsed.cache_clear()
