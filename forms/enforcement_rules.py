"""Server-side rules of the enforcement forms (行政处罚法, 行政强制法): limits come from settings through
engine.enforcement.laws, so a city changes them without touching a form."""
from __future__ import annotations

import datetime as _dt

from engine import clock
from forms.server_rules import rule

SIMPLE_START, SIMPLE_DECIDE = "enforcement_simple_start", "enforcement_simple_decide"
HEARING_NOTICE_DAYS = 7  # 听证通知: at least 7 days before the hearing (行政处罚法 Art. 64)


def _amount(data: dict, field: str = "fine_amount") -> float | None:
    try:
        return float(data.get(field)) if data.get(field) not in (None, "") else None
    except (TypeError, ValueError):
        return None  # the schema's number check reports it


def _yuan(value: float) -> str:
    return f"{value:g}"


@rule(SIMPLE_START, SIMPLE_DECIDE)
def simple_procedure_amount(conn, data: dict):
    """Art. 51: a fine over 200 元 (individual) / 3 000 元 (organisation) needs the ordinary procedure."""
    from engine.enforcement.laws import simple_procedure_limit

    amount, party_type = _amount(data), data.get("party_type")
    if amount is None or party_type not in ("individual", "organisation"):
        return {}, {}
    limit = simple_procedure_limit(conn, party_type)
    if amount <= limit:
        return {}, {}
    who_zh = "公民" if party_type == "individual" else "法人或者其他组织"
    return ({"fine_amount": f"对{who_zh}罚款 {_yuan(amount)} 元超过简易程序限额（{_yuan(limit)} 元），请适用普通程序"},
            {"fine_amount": f"a fine of {_yuan(amount)} yuan exceeds the simple-procedure limit of {_yuan(limit)} "
                            f"yuan for this party; use the ordinary procedure"})


@rule(SIMPLE_DECIDE)
def on_site_collection_amount(conn, data: dict):
    """Art. 68: collection on the spot only for fines up to 100 元."""
    from engine.enforcement.laws import on_site_collection_limit

    amount = _amount(data)
    if data.get("collect_on_site") != "yes" or amount is None:
        return {}, {}
    limit = on_site_collection_limit(conn)
    if amount <= limit:
        return {}, {}
    return ({"collect_on_site": f"罚款 {_yuan(amount)} 元超过当场收缴限额（{_yuan(limit)} 元），"
                                "请告知当事人到指定银行缴纳"},
            {"collect_on_site": f"a fine of {_yuan(amount)} yuan exceeds the on-site collection limit of "
                                f"{_yuan(limit)} yuan; the party pays at the bank"})


@rule("enforcement_ordinary_investigate", "enforcement_coercion_execute")
def two_distinct_officers(conn, data: dict):
    """Investigation and coercive measures need at least two officers (行政处罚法 Art. 42, 行政强制法 Art. 18)."""
    first, second = (str(data.get(f) or "").strip() for f in ("officer_1", "officer_2"))
    if first and second and first == second:
        return ({"officer_2": "执法人员不得少于两人，两名执法人员不能是同一人"},
                {"officer_2": "two different officers are required"})
    return {}, {}


@rule("enforcement_ordinary_hearing_notice")
def hearing_notice_in_time(conn, data: dict):
    hearing_at = _instant(data.get("hearing_at"))
    if hearing_at is None:
        return {}, {}
    earliest = clock.now() + _dt.timedelta(days=HEARING_NOTICE_DAYS)
    if hearing_at >= earliest:
        return {}, {}
    return ({"hearing_at": f"应当在举行听证的 {HEARING_NOTICE_DAYS} 日前通知当事人，听证时间不得早于"
                           f"{earliest.astimezone(clock.DEFAULT_TZ):%Y-%m-%d %H:%M}"},
            {"hearing_at": f"the party must be notified {HEARING_NOTICE_DAYS} days before the hearing"})


@rule("enforcement_coercion_disposal")
def one_extension_of_measures(conn, data: dict):
    """行政强制法 Art. 25: 查封、扣押 last at most 30 days, extendable once by at most 30 days."""
    if data.get("disposal") == "extend" and data.get("measure_extended"):
        return ({"disposal": "查封、扣押期限已经延长过一次，不得再次延长"},
                {"disposal": "the measure has already been extended once"})
    return {}, {}


def _instant(value) -> _dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=clock.DEFAULT_TZ)
