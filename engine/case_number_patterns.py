"""Case-number patterns: what a pattern may contain, checked before it renders anything.

Kept apart from engine.case_numbers (which issues numbers and needs the models) so the settings can check a
pattern without importing the models.
"""
from __future__ import annotations

import re
import string

DEFAULT_PATTERN = "{prefix}{date:%Y%m%d}{seq:04d}"
ALLOWED_FIELDS = {"prefix", "date", "seq"}


# a width like {seq:0999999999d} renders a gigabyte; a nested field ({seq:{prefix}}) takes its width from data
MAX_WIDTH = 99


class BadPattern(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def check_pattern(pattern: str) -> None:
    """Only the three named fields, no attribute or index access (format strings can leak), small widths."""
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise BadPattern(f"格式写法有误（{exc}）", str(exc)) from None
    fields = [f for _, f, _, _ in parsed if f is not None]
    unknown = [f for f in fields if f not in ALLOWED_FIELDS]
    if unknown:
        raise BadPattern(f"不认识：{'、'.join(unknown)}", f"unknown fields in case-number pattern: {unknown}")
    if "seq" not in fields:
        raise BadPattern("缺少 {seq}", "the case-number pattern needs {seq}")
    specs = [spec for _, _, spec, _ in parsed if spec]
    if any("{" in spec or any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec)) for spec in specs):
        raise BadPattern("宽度最多两位数（如 {seq:04d}），且不能嵌套字段",
                         "format widths have at most two digits (e.g. {seq:04d}) and fields do not nest")
