"""zh-CN by default, English on ``Accept-Language: en``."""
from __future__ import annotations

from flask import has_request_context, request

# marshmallow's stock messages, as a client in a Chinese command centre should read them.
MARSHMALLOW_ZH = {
    "Missing data for required field.": "此项为必填项",
    "Unknown field.": "未知字段",
    "Field may not be null.": "不能为空",
    "Not a valid string.": "不是有效的字符串",
    "Not a valid integer.": "不是有效的整数",
    "Not a valid number.": "不是有效的数字",
    "Not a valid boolean.": "不是有效的布尔值",
    "Not a valid mapping type.": "应为对象",
    "Not a valid list.": "应为列表",
    "Invalid input type.": "输入类型无效",
    "Not a valid datetime.": "不是有效的日期时间",
    "Shorter than minimum length 1.": "不能为空",
}


def language() -> str:
    if not has_request_context():
        return "zh"
    header = (request.headers.get("Accept-Language") or "").lower()
    best = request.accept_languages.best_match(["zh", "zh-cn", "en"]) if header else None
    return "en" if best and best.startswith("en") else "zh"


def pick(zh: str, en: str) -> str:
    return en if language() == "en" else zh


def translate_marshmallow(message: str) -> str:
    if language() == "en":
        return message
    if message in MARSHMALLOW_ZH:
        return MARSHMALLOW_ZH[message]
    if message.startswith("Must be one of"):
        return "取值不在允许范围内：" + message.split(":", 1)[-1].strip()
    if message.startswith("Length must be"):
        return "长度不符合要求（" + message + "）"
    if message.startswith(("Must be greater than", "Must be less than")):
        return "数值超出允许范围（" + message + "）"
    return message
