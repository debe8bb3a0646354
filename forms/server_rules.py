"""Server-side form rules a form-js schema cannot express: cross-field checks and limits read from settings.

A rule belongs to one or more form keys and returns ``(zh, en)`` field errors. The form service runs the
rules of a form after its schema validated cleanly, for start forms and task forms alike, so a rule is
enforced whatever client submitted the data.
"""
from __future__ import annotations

import importlib
from typing import Callable

Errors = tuple[dict, dict]
Rule = Callable[[object, dict], Errors]

# modules whose import registers rules (kept here so the form service needs no knowledge of them)
RULE_MODULES = ("forms.enforcement_rules",)

_RULES: dict[str, list[Rule]] = {}
_loaded = False


def rule(*form_keys: str):
    """Register the decorated function for these form keys."""
    def register(function: Rule) -> Rule:
        for key in form_keys:
            _RULES.setdefault(key, []).append(function)
        return function
    return register


def check(conn, form_key: str, data: dict) -> Errors:
    _load()
    zh, en = {}, {}
    for function in _RULES.get(form_key, ()):
        found_zh, found_en = function(conn, data)
        zh.update(found_zh)
        en.update(found_en)
    return zh, en


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in RULE_MODULES:
            importlib.import_module(module)
        _loaded = True
