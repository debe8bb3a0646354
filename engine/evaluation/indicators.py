"""The indicators as counts over the event log.

Every indicator is ``numerator ÷ denominator`` (a rate) or a plain count, where each side is a sum of
*counters*. A counter is a set of facts (one per case and event) that ``rollups`` derives from the events:

| party        | key          | counter               | from which events |
|--------------|--------------|-----------------------|-------------------|
| supervisor   | username     | reported              | case.started, source = supervisor |
| supervisor   | reporter     | valid_report          | register completed with 立案, case reported by the supervisor |
| supervisor   | verifier     | missed_report         | register completed with 立案, a public report the supervisor verified (漏报) |
| supervisor   | username     | verify_due / verify_on_time | verify completed; on time = completed ≤ the task's due_at |
| supervisor   | username     | check_due / check_on_time   | check completed |
| acceptor     | username     | accepted              | accept completed with 受理 |
| acceptor     | starter      | verify_dispatch_due / _on_time | public report started (the 核实 task sent); on time = 核实 task created within 15 min |
| acceptor     | accepter     | check_dispatch_due / _on_time  | check task created for a case the acceptor accepted (sent on creation) |
| shift_leader | username     | file_due / file_on_time | register completed |
| shift_leader | filer        | filed / voided_after_filing | register with 立案; the case later voided/terminated |
| shift_leader | username     | close_due / close_on_time | close completed |
| dispatcher   | username     | dispatched / dispatch_on_time | dispatch completed |
| dispatcher   | last dispatcher | misdispatched      | counter.incremented return_count (回退) |
| department   | org code     | handle_due            | handle completed without 回退 (应处置) |
| department   | org code     | handled / handled_on_time / handled_overdue | feedback completed |
| department   | org code     | rework / returned / extended / hung | 返工, 回退, task.extended, case.suspended(hang) |
| region       | district     | filed / supervision_report | register with 立案 (from a supervisor's report) |
| region       | district     | closed / closed_on_time | close completed; on time = ≤ the case's 结案 due_at (pauses excluded) |

"On time" compares with the due instant the engine kept on the task row at completion (working-time
calendars; moved by 延期 and by paused 挂账 time), which ``rollups.stamp_due`` copies onto the event.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine import evaluation_config


@dataclass(frozen=True)
class Definition:
    code: str
    numerator: tuple[str, ...]            # counters added
    denominator: tuple[str, ...] = ()     # counters added; empty for a count indicator
    minus: tuple[str, ...] = ()           # counters subtracted from the numerator

    @property
    def is_count(self) -> bool:
        return not self.denominator


DEFINITIONS: dict[str, dict[str, Definition]] = {
    "supervisor": {d.code: d for d in (
        Definition("valid_report_rate", ("valid_report",), ("reported",)),
        Definition("missed_report_rate", ("missed_report",), ("valid_report", "missed_report")),
        Definition("verify_on_time_rate", ("verify_on_time",), ("verify_due",)),
        Definition("check_on_time_rate", ("check_on_time",), ("check_due",)),
    )},
    "acceptor": {d.code: d for d in (
        Definition("accepted_count", ("accepted",)),
        Definition("verify_dispatch_on_time_rate", ("verify_dispatch_on_time",), ("verify_dispatch_due",)),
        Definition("check_dispatch_on_time_rate", ("check_dispatch_on_time",), ("check_dispatch_due",)),
    )},
    "shift_leader": {d.code: d for d in (
        Definition("file_on_time_rate", ("file_on_time",), ("file_due",)),
        Definition("file_accuracy_rate", ("filed",), ("filed",), minus=("voided_after_filing",)),
        Definition("close_on_time_rate", ("close_on_time",), ("close_due",)),
    )},
    "dispatcher": {d.code: d for d in (
        Definition("dispatched_count", ("dispatched",)),
        Definition("dispatch_on_time_rate", ("dispatch_on_time",), ("dispatched",)),
        Definition("dispatch_accuracy_rate", ("dispatched",), ("dispatched",), minus=("misdispatched",)),
    )},
    "department": {d.code: d for d in (
        Definition("handled_rate", ("handled",), ("handle_due",)),
        Definition("handled_on_time_rate", ("handled_on_time",), ("handle_due",)),
        Definition("rework_rate", ("rework",), ("handled",)),
    )},
    "region": {d.code: d for d in (
        Definition("supervision_report_rate", ("supervision_report",), ("filed",)),
        Definition("filed_count", ("filed",)),
        Definition("closed_rate", ("closed",), ("filed",)),
        Definition("closed_on_time_rate", ("closed_on_time",), ("filed",)),
    )},
}

# The plain counts shown beside the indicators (DOMAIN §6 lists them: 应处置数, 超期处置数, 延期数 …).
COUNTS: dict[str, tuple[str, ...]] = {
    "supervisor": ("reported", "valid_report", "missed_report", "verify_due", "verify_on_time", "check_due",
                   "check_on_time"),
    "acceptor": ("accepted", "verify_dispatch_due", "verify_dispatch_on_time", "check_dispatch_due",
                 "check_dispatch_on_time"),
    "shift_leader": ("file_due", "file_on_time", "filed", "voided_after_filing", "close_due", "close_on_time"),
    "dispatcher": ("dispatched", "dispatch_on_time", "misdispatched"),
    "department": ("handle_due", "handled", "handled_on_time", "handled_overdue", "rework", "extended",
                   "returned", "hung"),
    "region": ("filed", "closed", "closed_on_time", "supervision_report"),
}


def definition(party_code: str, indicator_code: str) -> Definition:
    party = evaluation_config.party(party_code)  # NotFound for an unknown party
    try:
        return DEFINITIONS[party.code][indicator_code]
    except KeyError:
        from engine.errors import NotFound
        raise NotFound(f"{party.zh}没有指标“{indicator_code}”", f"{party.en} has no indicator '{indicator_code}'") \
            from None


def counters_of(party_code: str) -> set[str]:
    out = set(COUNTS[party_code])
    for d in DEFINITIONS[party_code].values():
        out.update(d.numerator, d.denominator, d.minus)
    return out
