"""The seven stages of the closed loop (CJJ/T 106, GB/T 30428), as ``citybpm:stage`` codes."""
from __future__ import annotations

# code -> (zh, en), in order
STAGES = {
    "collect": ("信息采集", "information collection"),
    "file": ("立案", "case filing"),
    "dispatch": ("派遣", "dispatch"),
    "handle": ("处置", "disposal"),
    "feedback": ("反馈", "feedback"),
    "close": ("核查结案", "check and close"),
    "evaluate": ("评价", "evaluation"),
}


def stage_name(code: str | None, lang: str = "zh") -> str | None:
    if code not in STAGES:
        return None
    zh, en = STAGES[code]
    return en if lang == "en" else zh
