"""The zh-CN and English validation messages, and the label and limits they are formatted with.

Validators raise message *codes*; the label and language are applied only to the errors, so one
schema serves zh-CN and English.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "required": "「{label}」为必填项",
        "text": "「{label}」必须是文本",
        "number": "「{label}」必须是数字",
        "boolean": "「{label}」必须是“是”或“否”（true/false）",
        "option": "「{label}」的值不在可选项中",
        "list": "「{label}」必须是列表",
        "min": "「{label}」不能小于 {limit}",
        "max": "「{label}」不能大于 {limit}",
        "minLength": "「{label}」至少需要 {limit} 个字符",
        "maxLength": "「{label}」最多 {limit} 个字符",
        "pattern": "「{label}」格式不正确",
        "patternTimeout": "「{label}」的格式规则过于复杂，无法在限定时间内校验，请联系管理员修改表单",
        "email": "「{label}」不是有效的电子邮箱地址",
        "phone": "「{label}」不是有效的电话号码",
        "date": "「{label}」不是有效的日期（YYYY-MM-DD）",
        "time": "「{label}」不是有效的时间（HH:MM）",
        "datetime": "「{label}」不是有效的日期时间（ISO 8601，如 2026-01-05T08:30:00+08:00）",
        "file": "「{label}」必须是文件引用或文件引用列表",
        "singleFile": "「{label}」只能上传一个文件",
        "object": "「{label}」必须是一组字段（JSON 对象）",
        "item": "「{label}」的每一项必须是一组字段（JSON 对象）",
    },
    "en": {
        "required": "“{label}” is required",
        "text": "“{label}” must be text",
        "number": "“{label}” must be a number",
        "boolean": "“{label}” must be true or false",
        "option": "“{label}” is not one of the allowed options",
        "list": "“{label}” must be a list",
        "min": "“{label}” must not be less than {limit}",
        "max": "“{label}” must not be greater than {limit}",
        "minLength": "“{label}” must have at least {limit} characters",
        "maxLength": "“{label}” must have at most {limit} characters",
        "pattern": "“{label}” has an invalid format",
        "patternTimeout": "the format rule of “{label}” is too complex to check in time; ask an administrator "
                          "to change the form",
        "email": "“{label}” is not a valid e-mail address",
        "phone": "“{label}” is not a valid phone number",
        "date": "“{label}” is not a valid date (YYYY-MM-DD)",
        "time": "“{label}” is not a valid time (HH:MM)",
        "datetime": "“{label}” is not a valid date and time (ISO 8601, e.g. 2026-01-05T08:30:00+08:00)",
        "file": "“{label}” must be a file reference or a list of file references",
        "singleFile": "“{label}” accepts only one file",
        "object": "“{label}” must be a group of fields (a JSON object)",
        "item": "each item of “{label}” must be a group of fields (a JSON object)",
    },
}


def normalize_lang(lang: str | None) -> str:
    """``"en"``, ``"en-US"``, ``"en_GB"`` → ``"en"``; anything else → ``"zh"``."""
    code = (lang or "zh").strip().lower().replace("_", "-")
    return "en" if code.split("-")[0] == "en" else "zh"


# -- what an error message needs to know about a field ----------------------------------------------

@dataclass(slots=True)
class FieldSpec:
    """The label (zh, en) and the limits of one component, for its error messages."""

    label_zh: str
    label_en: str
    limits: dict[str, Any] = dataclass_field(default_factory=dict)

    @classmethod
    def of(cls, component: dict, fallback: str) -> FieldSpec:
        label = fallback
        for attr in ("label", "dateLabel", "timeLabel"):
            if isinstance(component.get(attr), str) and component[attr].strip():
                label = component[attr]
                break
        props = component.get("properties")
        label_en = props.get("label_en") if isinstance(props, dict) else None
        return cls(label, label_en if isinstance(label_en, str) and label_en else label)

    def message(self, code: str, lang: str) -> str:
        template = MESSAGES[lang].get(code)
        label = self.label_en if lang == "en" else self.label_zh
        if template is None:  # a marshmallow message we did not map: keep it readable
            return f"{label}: {code}"
        return template.format(label=label, limit=self.limits.get(code, ""))
