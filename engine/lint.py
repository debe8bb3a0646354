"""Deploy-time checks for what the XSD allows but citybpm cannot run.

Every rule reports every occurrence (designers fix a diagram in one pass),
names the element to highlight and says, in Chinese and English, what to do.
The rules follow the engine's choices and SpiffWorkflow 3.2's limits; see
DESIGN.md, "SpiffWorkflow sharp edges".
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Callable, Iterator

from lxml import etree

from engine.expressions import ExpressionError, compile_expression
from engine.problems import Problem, expression_reason_zh
from engine.timer_expressions import TimerExpressionError, normalize_timer_expression

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
FLOWABLE = "http://flowable.org/bpmn"
CITYBPM = "http://citybpm.dev/schema/1.0/bpmn"
# Designers keep using the modeler they know; all three spell the same attributes.
EXTENSION_NAMESPACES = (CAMUNDA, FLOWABLE, CITYBPM)
ASSIGNMENT_ATTRIBUTES = ("assignee", "candidateUsers", "candidateGroups")
SUPPORTED_HIT_POLICIES = ("UNIQUE", "COLLECT")

_TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")   # SpiffWorkflow's precedence
_TRUE = ("true", "1")


def _b(local: str) -> str:
    return f"{{{BPMN}}}{local}"


class _Report:
    """Collects Problems for one file."""

    def __init__(self, filename: str | None):
        self.filename = filename
        self.problems: list[Problem] = []

    def add(self, code: str, element: etree._Element | None, zh: str, en: str, element_id: str | None = None):
        self.problems.append(Problem(
            code,
            element_id if element_id is not None else (element.get("id") if element is not None else None),
            zh, en, self.filename,
            element.sourceline if element is not None else None,
        ))

    def sorted(self) -> list[Problem]:
        # Top to bottom, as the designer reads the file; rule order within a line.
        return sorted(self.problems, key=lambda p: p.line or 0)


def _zh(element: etree._Element) -> str:
    name, element_id = (element.get("name") or "").strip(), element.get("id") or "?"
    return f"“{name}”（{element_id}）" if name else f"“{element_id}”"


def _en(element: etree._Element) -> str:
    name, element_id = (element.get("name") or "").strip(), element.get("id") or "?"
    return f"'{name}' ({element_id})" if name else f"'{element_id}'"


# ---------------------------------------------------------------- BPMN


def lint_bpmn(root: etree._Element, filename: str | None,
              form_exists: Callable[[str], bool]) -> list[Problem]:
    """All lint problems of one BPMN definitions tree."""
    report = _Report(filename)
    _script_tasks(root, report)
    _event_subprocesses(root, report)
    _gateway_conditions(root, report)
    _condition_syntax(root, report)
    _timers(root, report)
    _forms(root, report, form_exists)
    _assignees(root, report)
    _countersign_and_returns(root, report)
    _processes(root, report)
    _dangling_flows(root, report)
    _node_attributes(root, report)
    return report.sorted()


def _script_tasks(root: etree._Element, report: _Report) -> None:
    # citybpm never executes designer-written code: the default script engine is eval/exec.
    for task in root.iter(_b("scriptTask")):
        report.add(
            "lint.script_task", task,
            f"脚本任务{_zh(task)}不被支持：请改用服务任务(service task)调用已注册的连接器。",
            f"Script task {_en(task)} is not supported: use a service task that calls a registered connector.",
        )


def _event_subprocesses(root: etree._Element, report: _Report) -> None:
    # Both kinds are refused: SpiffWorkflow 3.2 does not implement interrupting
    # ones, and triggering any of them mutates the spec shared by all instances.
    for tag in ("subProcess", "transaction", "adHocSubProcess"):
        for sub in root.iter(_b(tag)):
            if sub.get("triggeredByEvent") not in _TRUE:
                continue
            starts = sub.findall(_b("startEvent"))
            interrupting = not starts or any(s.get("isInterrupting", "true") in _TRUE for s in starts)
            if interrupting:
                zh = (f"事件子流程{_zh(sub)}是中断型的，不被支持：引擎没有实现中断型事件子流程。"
                      "请把可能被打断的环节放进一个嵌入式子流程，在它的边界上挂一个中断型边界事件"
                      "（例如撤件用消息边界事件），由边界事件引出后续处理。")
                en = (f"Event subprocess {_en(sub)} is interrupting; interrupting event subprocesses are not "
                      "supported. Put the steps that may be interrupted in an embedded subprocess and attach "
                      "an interrupting boundary event (e.g. a message boundary event) to it.")
            else:
                zh = (f"事件子流程{_zh(sub)}是非中断型的，同样不被支持：触发时会改动所有流程实例共用的流程定义。"
                      "请把相关环节放进一个嵌入式子流程，在它的边界上挂边界事件（需要中断时用中断型，"
                      "否则用非中断型）。")
                en = (f"Event subprocess {_en(sub)} is non-interrupting; event subprocesses are not supported "
                      "(triggering one mutates the process definition shared by all instances). Use an embedded "
                      "subprocess with a boundary event (interrupting if the work must stop) instead.")
            report.add("lint.event_subprocess", sub, zh, en)


def _sequence_flows(root: etree._Element) -> Iterator[etree._Element]:
    return root.iter(_b("sequenceFlow"))


def _condition_text(flow: etree._Element) -> str:
    condition = flow.find(_b("conditionExpression"))
    return (condition.text or "").strip() if condition is not None else ""


def _gateway_conditions(root: etree._Element, report: _Report) -> None:
    outgoing: dict[str, list[etree._Element]] = defaultdict(list)
    for flow in _sequence_flows(root):
        outgoing[flow.get("sourceRef")].append(flow)
    kinds = {"exclusiveGateway": ("排他网关", "exclusive gateway"),
             "inclusiveGateway": ("包容网关", "inclusive gateway")}
    for tag, (kind_zh, kind_en) in kinds.items():
        for gateway in root.iter(_b(tag)):
            flows = outgoing.get(gateway.get("id"), [])
            if len(flows) < 2:
                continue  # a single way out needs no decision
            default = gateway.get("default")
            for flow in flows:
                if flow.get("id") == default or _condition_text(flow):
                    continue
                report.add(
                    "lint.missing_condition", flow,
                    f"顺序流{_zh(flow)}从{kind_zh}{_zh(gateway)}流出，但没有条件表达式。网关有多个出口时，"
                    "除默认流外每条出口都要写条件（例如 amount > 100），或把这一条设为默认流。",
                    f"Sequence flow {_en(flow)} leaves {kind_en} {_en(gateway)} without a condition: every "
                    "outgoing flow except the default one needs a conditionExpression.",
                )


def _condition_syntax(root: etree._Element, report: _Report) -> None:
    for flow in _sequence_flows(root):
        text = _condition_text(flow)
        if not text:
            continue
        try:
            compile_expression(text)
        except ExpressionError as exc:
            hint_zh = hint_en = ""
            if re.search(r"&&|\|\||!(?!=)", text):
                # JUEL operators from Camunda/Flowable habits; ${...} itself is accepted.
                hint_zh = "请用 and / or / not 代替 && / || / !。"
                hint_en = " Use and / or / not instead of && / || / !."
            report.add(
                "lint.bad_condition", flow,
                f"顺序流{_zh(flow)}的条件“{text}”无法解析：{expression_reason_zh(exc.reason)}。{hint_zh}",
                f"The condition of sequence flow {_en(flow)} does not compile: {exc.reason}.{hint_en}",
            )


def _timers(root: etree._Element, report: _Report) -> None:
    naive_zh = "注意：日期时间必须带时区偏移（如 2026-03-01T09:00:00+08:00），不带偏移的会被拒绝。"
    naive_en = "Datetimes need a UTC offset (e.g. +08:00); naive ones are refused."
    for definition in root.iter(_b("timerEventDefinition")):
        event = definition.getparent()
        specs = [definition.find(_b(kind)) for kind in _TIMER_KINDS]
        spec = next((s for s in specs if s is not None), None)
        if spec is None or not (spec.text or "").strip():
            report.add(
                "lint.bad_timer", event,
                f"定时事件{_zh(event)}没有设置时间：请填写指定时间、持续时间或循环，"
                f"例如 PT2H、2026-03-01T09:00:00+08:00、R3/PT1H 或 add_work_hours(start, 2)。{naive_zh}",
                f"Timer event {_en(event)} has no timeDate, timeDuration or timeCycle expression. {naive_en}",
            )
            continue
        text = spec.text.strip()
        try:
            normalize_timer_expression(text, etree.QName(spec).localname)
        except ExpressionError as exc:
            reason_zh = exc.reason_zh if isinstance(exc, TimerExpressionError) else expression_reason_zh(exc.reason)
            # The naive-datetime warning goes everywhere except where it is the reason.
            note_zh = "" if "时区" in reason_zh else naive_zh
            note_en = "" if "offset" in exc.reason else f" {naive_en}"
            report.add(
                "lint.bad_timer", event,
                f"定时事件{_zh(event)}的时间“{text}”不能使用：{reason_zh}。{note_zh}",
                f"The timer of event {_en(event)} cannot be used: {exc.reason}.{note_en}",
            )


def _forms(root: etree._Element, report: _Report, form_exists: Callable[[str], bool]) -> None:
    for element in root.iter(etree.Element):
        for namespace in EXTENSION_NAMESPACES:
            key = (element.get(f"{{{namespace}}}formKey") or "").strip()
            if key and not form_exists(key):
                report.add(
                    "lint.unknown_form", element,
                    f"{_zh(element)}引用的表单“{key}”不存在：请先在表单管理中创建该表单，或改正表单标识(formKey)。",
                    f"{_en(element)} refers to form '{key}', which does not exist.",
                )


def _assignees(root: etree._Element, report: _Report) -> None:
    # As in SpiffWorkflow, a task inside an embedded subprocess takes the
    # subprocess's lane, so a lane covers a node and everything inside it.
    in_role_lane = set()
    for lane in root.iter(_b("lane")):
        if (lane.get("name") or "").strip() or (lane.get(f"{{{CITYBPM}}}role") or "").strip():
            in_role_lane.update((ref.text or "").strip() for ref in lane.findall(_b("flowNodeRef")))
    for task in root.iter(_b("userTask")):
        if any((task.get(f"{{{ns}}}{attr}") or "").strip()
               for ns in EXTENSION_NAMESPACES for attr in ASSIGNMENT_ATTRIBUTES):
            continue
        if any(node.get("id") in in_role_lane for node in (task, *task.iterancestors())):
            continue
        report.add(
            "lint.no_assignee", task,
            f"用户任务{_zh(task)}没有指定由谁办理：请设置办理人(assignee)、候选人(candidateUsers)"
            "或候选组(candidateGroups)，或把它放进一个有名称或角色(citybpm:role)的泳道。",
            f"User task {_en(task)} has nobody to assign: set assignee, candidateUsers or candidateGroups, "
            "or place it in a lane with a name or citybpm:role.",
        )


SIGN_MODES = ("all", "any", "ratio", "sequential")  # engine.operations.countersign


def _countersign_and_returns(root: etree._Element, report: _Report) -> None:
    """citybpm:signMode/signRatio on multi-instance user tasks; citybpm:returnTargets naming real nodes."""
    node_ids = {e.get("id") for e in root.iter(etree.Element) if e.get("id")}
    for element in root.iter(etree.Element):
        mode = element.get(f"{{{CITYBPM}}}signMode")
        if mode is not None:
            _sign_mode(element, mode.strip(), report)
        targets = element.get(f"{{{CITYBPM}}}returnTargets")
        unknown = [t for t in re.split(r"[,\s]+", targets or "") if t and t not in node_ids]
        if unknown:
            report.add("lint.unknown_return_target", element,
                       f"{_zh(element)}的退回环节(citybpm:returnTargets)中“{'、'.join(unknown)}”不存在：请填写本流程中用户任务的 id。",
                       f"{_en(element)} names unknown return targets {', '.join(unknown)} in citybpm:returnTargets.")


def _sign_mode(element: etree._Element, mode: str, report: _Report) -> None:
    loop = element.find(_b("multiInstanceLoopCharacteristics"))
    if etree.QName(element).localname != "userTask" or loop is None:
        report.add("lint.sign_mode_not_multi_instance", element,
                   f"{_zh(element)}设置了会签方式(citybpm:signMode)，但它不是多实例用户任务：请设为多实例，或去掉该属性。",
                   f"{_en(element)} has citybpm:signMode but is not a multi-instance user task.")
        return
    if mode not in SIGN_MODES:
        report.add("lint.unknown_sign_mode", element,
                   f"{_zh(element)}的会签方式“{mode}”无效：应为 all（全部同意）、any（或签）、ratio（按比例）"
                   "或 sequential（依次）。",
                   f"{_en(element)} has unknown citybpm:signMode '{mode}' (all, any, ratio or sequential).")
        return
    if mode == "ratio":
        try:
            ratio = float(element.get(f"{{{CITYBPM}}}signRatio") or "")
        except ValueError:
            ratio = None
        if ratio is None or not 0 < ratio <= 1:
            report.add("lint.sign_ratio", element,
                       f"{_zh(element)}按比例会签，但通过比例(citybpm:signRatio)缺失或无效：应为大于 0、不超过 1 的小数，如 0.6。",
                       f"{_en(element)} uses signMode 'ratio' without a valid citybpm:signRatio (0 < ratio <= 1).")
    sequential = (loop.get("isSequential") or "").strip().lower() in _TRUE
    if mode == "sequential" and not sequential:
        report.add("lint.sign_sequential", element,
                   f"{_zh(element)}为依次会签，但多实例不是串行：请设置 isSequential=\"true\"。",
                   f"{_en(element)} uses signMode 'sequential' but its multi-instance is not sequential.")
    if loop.find(_b("completionCondition")) is not None:
        report.add("lint.sign_mode_condition", element,
                   f"{_zh(element)}同时设置了会签方式和完成条件(completionCondition)：会签方式自行判断何时结束，请去掉完成条件。",
                   f"{_en(element)} has both citybpm:signMode and a completionCondition; remove the condition.")


def _processes(root: etree._Element, report: _Report) -> None:
    processes = root.findall(_b("process"))
    if not any(p.get("isExecutable") == "true" for p in processes):
        first = processes[0] if processes else root
        ids = "、".join(p.get("id") or "?" for p in processes)
        report.add(
            "lint.no_executable_process", first,
            (f"文件中没有可执行的流程（{ids}）：请在流程属性中勾选“可执行”(isExecutable=\"true\")。"
             if processes else "文件中没有任何流程(process)，无法部署。"),
            "No process in the file has isExecutable=\"true\".",
            element_id=first.get("id") if processes else None,
        )
    # SpiffWorkflow only parses executable processes (a missing isExecutable
    # counts as true there); non-executable pools are documentation.
    for process in processes:
        if process.get("isExecutable", "true") not in _TRUE:
            continue
        if process.find(_b("startEvent")) is None:
            report.add(
                "lint.no_start_event", process,
                f"流程{_zh(process)}没有开始事件，无法启动：请添加一个开始事件。",
                f"Process {_en(process)} has no start event.",
            )
        for tag in ("subProcess", "transaction"):
            for sub in process.iter(_b(tag)):
                if sub.get("triggeredByEvent") in _TRUE:
                    continue  # reported as lint.event_subprocess
                if sub.find(_b("startEvent")) is None:
                    report.add(
                        "lint.no_start_event", sub,
                        f"子流程{_zh(sub)}里面没有开始事件：嵌入式子流程需要一个开始事件。",
                        f"Embedded subprocess {_en(sub)} has no start event.",
                    )


def _dangling_flows(root: etree._Element, report: _Report) -> None:
    # Only BPMN semantic ids count: a flow must not point at a diagram shape.
    ids = {e.get("id") for e in root.iter(etree.Element)
           if e.get("id") and etree.QName(e).namespace == BPMN}
    ends = {"sourceRef": ("起点", "source"), "targetRef": ("终点", "target")}
    for flow in _sequence_flows(root):
        for attribute, (end_zh, end_en) in ends.items():
            ref = (flow.get(attribute) or "").strip()
            if ref in ids:
                continue
            report.add(
                "lint.dangling_flow", flow,
                (f"顺序流{_zh(flow)}的{end_zh}“{ref}”在文件中不存在：请删除这条连线后重新连接。" if ref
                 else f"顺序流{_zh(flow)}没有{end_zh}：请删除这条连线后重新连接。"),
                f"Sequence flow {_en(flow)} has a {end_en} ({attribute}='{ref}') that does not exist.",
            )


def _node_attributes(root: etree._Element, report: _Report) -> None:
    # citybpm:set / reportTo / proposal (engine.node_effects): a mistake here fails only when the node runs
    user_tasks = {t.get("id") for t in root.iter(_b("userTask"))}
    for element in root.iter(etree.Element):
        text = element.get(f"{{{CITYBPM}}}set")
        for part in (text or "").split(";"):
            if not part.strip():
                continue
            variable, _, expression = (x.strip() for x in part.partition("="))
            reason = None if variable.isidentifier() else "没有变量名 / no variable name"
            if reason is None:
                try:
                    compile_expression(expression)
                except ExpressionError as exc:
                    reason = f"{expression_reason_zh(exc.reason)} / {exc.reason}"
            if reason:
                report.add("lint.bad_set", element,
                           f"{_zh(element)}的赋值 citybpm:set“{part.strip()}”无法使用（{reason}）：请写成 变量 = 表达式，多个用分号隔开。",
                           f"{_en(element)} has an unusable citybpm:set part '{part.strip()}' ({reason}): "
                           "write var = expression; var2 = expression.")
        target = element.get(f"{{{CITYBPM}}}reportTo")
        if target is not None and target.strip() not in user_tasks:
            report.add("lint.bad_report_to", element,
                       f"{_zh(element)}的 citybpm:reportTo“{target}”不是本文件中的用户任务：请填写主办任务的节点标识。",
                       f"{_en(element)} reports to '{target}', which is not a user task in this file.")
        proposal = element.get(f"{{{CITYBPM}}}proposal")
        for part in (proposal or "").split(","):
            chosen, joiner, proposed = (x.strip() for x in part.partition("="))
            if part.strip() and not (joiner and chosen.isidentifier() and proposed.isidentifier()):
                report.add("lint.bad_proposal", element,
                           f"{_zh(element)}的 citybpm:proposal“{part.strip()}”格式不对：请写成 选定变量=建议变量，多个用逗号隔开。",
                           f"{_en(element)} has a malformed citybpm:proposal part '{part.strip()}': "
                           "write chosen=proposed, chosen2=proposed2.")


def lint_documents(root: etree._Element, filename: str | None, known_types: set[str]) -> list[Problem]:
    """citybpm:document names a 文书 type that exists (else the node would fail when it completes)."""
    report = _Report(filename)
    for element in root.iter(etree.Element):
        code = element.get(f"{{{CITYBPM}}}document")
        if code is not None and code.strip() not in known_types:
            report.add("lint.unknown_document", element,
                       f"{_zh(element)}的文书类型 citybpm:document“{code}”不存在：请先在文书类型中创建，或改正类型编码。",
                       f"{_en(element)} issues document type '{code}', which does not exist.")
    return report.sorted()


# ---------------------------------------------------------------- DMN


def lint_dmn(root: etree._Element, filename: str | None) -> list[Problem]:
    """All lint problems of one DMN definitions tree."""
    report = _Report(filename)
    namespace = etree.QName(root).namespace or ""

    def q(local: str) -> str:
        return f"{{{namespace}}}{local}"

    for table in root.iter(q("decisionTable")):
        decision = next((a for a in table.iterancestors(q("decision"))), table)
        _hit_policy(table, decision, report)
        for number, rule in enumerate(table.findall(q("rule")), start=1):
            for entry in rule.findall(q("inputEntry")):
                text = (entry.findtext(q("text")) or "").strip()
                if text and text != "-":
                    _input_cell(text, entry, rule, number, decision, report)
    return report.sorted()


def _hit_policy(table: etree._Element, decision: etree._Element, report: _Report) -> None:
    policy = (table.get("hitPolicy") or "UNIQUE").strip().upper()
    aggregation = (table.get("aggregation") or "").strip().upper()
    if policy in SUPPORTED_HIT_POLICIES and not aggregation:
        return
    shown = f"{policy} {aggregation}".strip()
    report.add(
        "lint.dmn_hit_policy", table,
        f"决策{_zh(decision)}的命中策略是 {shown}，引擎只支持 UNIQUE（唯一）和不带聚合的 COLLECT（收集）：请改用其中之一。",
        f"Decision {_en(decision)} uses hit policy {shown}; only UNIQUE and COLLECT (without aggregation) "
        "are supported.",
        element_id=decision.get("id"),
    )


# "?" outside string literals, as SpiffWorkflow's DMNEngine finds it.
_INPUT_MARK = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")
_FEEL_HINTS = [
    # (test, zh, en) -- FEEL unary tests that are valid Python but mean something else, or break.
    (lambda t: re.match(r"^not\s+in\b|^in\b", t) is not None,
     "写成了 in (...) 却没有 ?，这种写法会出错：请写成 ? in (\"A\", \"B\")",
     "uses 'in (...)' without '?', which breaks: write ? in (\"A\", \"B\")"),
    (lambda t: ".." in _outside_strings(t),
     "用了 FEEL 的区间写法（如 [1..10]）：请写成 1 <= ? <= 10",
     "uses a FEEL range: write 1 <= ? <= 10"),
    (lambda t: "," in _top_level(t),
     "用了 FEEL 的列表写法（如 \"A\",\"B\"）：请写成 ? in (\"A\", \"B\")",
     "uses a FEEL list: write ? in (\"A\", \"B\")"),
    (lambda t: re.match(r"^not\s*\(", t) is not None,
     "用了 FEEL 的 not(...)：请写成 ? not in (\"A\", \"B\") 或 ? != \"A\"",
     "uses FEEL not(...): write ? not in (\"A\", \"B\") or ? != \"A\""),
]


def _input_cell(text: str, entry: etree._Element, rule: etree._Element, number: int,
                decision: etree._Element, report: _Report) -> None:
    where_zh = f"决策{_zh(decision)}第 {number} 条规则的输入条件“{text}”"
    where_en = f"Input entry '{text}' in rule {number} of decision {_en(decision)}"
    element_id = entry.get("id") or rule.get("id") or decision.get("id")
    if not _INPUT_MARK.search(text):
        for test, zh, en in _FEEL_HINTS:
            if test(text):
                report.add("lint.dmn_cell", entry, f"{where_zh}{zh}。引擎里的 DMN 单元格写的是 Python 表达式，不是 FEEL。",
                           f"{where_en} {en}; cells are Python expressions, not FEEL.", element_id=element_id)
                return
    reason = _cell_compile_error(text)
    if reason:
        report.add("lint.dmn_cell", entry, f"{where_zh}无法解析：{expression_reason_zh(reason)}。",
                   f"{where_en} does not compile: {reason}.", element_id=element_id)


def _cell_compile_error(text: str) -> str | None:
    """None if the cell compiles the way SpiffWorkflow's DMNEngine will use it."""
    if _INPUT_MARK.search(text):
        candidates = [_INPUT_MARK.sub("dmninput", text)]
    else:
        # Either a value compared with == or a test such as "> 5" applied to the input.
        candidates = [text, f"dmninput {text}"]
    reason = None
    for candidate in candidates:
        try:
            compile_expression(candidate)
            return None
        except ExpressionError as exc:
            reason = reason or exc.reason
    return reason


def _outside_strings(text: str) -> str:
    return re.sub(r"\"[^\"]*\"|'[^']*'", "", text)


def _top_level(text: str) -> str:
    """The text outside strings and brackets: where a FEEL list's commas live."""
    out, depth = [], 0
    for char in _outside_strings(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)
