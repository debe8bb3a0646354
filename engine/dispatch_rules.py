"""The automatic dispatch rules (派遣规则表): read, check, try and save them without a programmer.

The table is ``dispatch_rules.dmn``, deployed inside the ``closed_loop`` bundle. Saving it deploys the
bundle again with the new DMN file as a new version (running cases keep theirs; the same table keeps the
version) and writes an audit entry in the same transaction. The caller commits.

Rows travel as JSON: ``inputs`` / ``outputs`` (the columns) and ``rules``, each with its ``annotation``
and its cells in column order. Cells are the engine's Python expressions (``?`` is the input, ``-`` any).
"""
from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Callable

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin

from engine import audit, expressions, node_effects
from engine.deployment import ParsedFile, SourceFile, build_parser
from engine.errors import InvalidData, NotFound
from engine.identity import Org
from engine.lint import lint_dmn
from engine.models import Definition
from engine.script_engine import SCRIPT_ENGINE
from engine.xmlsafe import XmlRejected, parse_xml

PROCESS_KEY = "closed_loop"
RULES_FILENAME = "dispatch_rules.dmn"
DECISION_ID = "dispatch_rules"
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
AUDIT_ACTION = "dispatch_rules.update"

# dispatch_mode values the closed loop's gw_mode knows
DISPATCH_MODES = {"flat": "扁平化派遣", "standard": "标准派遣（两级）", "multi": "多部门派遣",
                  "main_assist": "主协办派遣", "cross_region": "跨区域派遣"}
# auto_dispatch copies only department and mode: the other variants need more than one department
AUTOMATIC_MODES = ("flat", "standard")
# outputs the closed loop reads after the table ran
REQUIRED_OUTPUTS = ("proposed_department", "proposed_mode", "auto_dispatch")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


# ------------------------------------------------------------------ reading


def current_definition(session: Session) -> Definition:
    """The latest active closed-loop version (the one new cases start on)."""
    definition = session.scalars(select(Definition).where(Definition.key == PROCESS_KEY,
                                                          Definition.status == "active")
                                 .order_by(Definition.version.desc()).limit(1)).first()
    if definition is None:
        raise NotFound("闭环流程尚未部署或未启用", "the closed-loop process is not deployed or not active")
    return definition


def rules_xml(definition: Definition) -> str:
    found = next((f.content for f in definition.files if f.filename == RULES_FILENAME), None)
    if found is None:
        raise NotFound(f"当前闭环流程版本没有派遣规则表（{RULES_FILENAME}）",
                       f"the current closed-loop version has no {RULES_FILENAME}")
    return found


def read_rules(session: Session) -> dict:
    definition = current_definition(session)
    xml = rules_xml(definition)
    return dict(parse_table(xml.encode("utf-8")), xml=xml, filename=RULES_FILENAME,
                definition=_definition_summary(definition))


def parse_table(xml: bytes) -> dict:
    """DMN XML → the table as JSON rows. Raises InvalidData (field ``xml``) when it is not our table."""
    try:
        root = parse_xml(xml)
    except XmlRejected as exc:
        raise _invalid({"xml": (exc.message_zh, exc.message_en)}) from None
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "definitions" or "DMN" not in namespace:
        raise _invalid({"xml": ("不是 DMN 文件", "not a DMN file")})

    def q(local: str) -> str:
        return f"{{{namespace}}}{local}"

    decision = next((d for d in root.iter(q("decision")) if d.get("id") == DECISION_ID), None)
    table = decision.find(q("decisionTable")) if decision is not None else None
    if table is None:
        raise _invalid({"xml": (f"没有 id 为 {DECISION_ID} 的决策表", f"no decision table with id {DECISION_ID}")})
    return {
        "decision_id": DECISION_ID,
        "name": decision.get("name") or "",
        "description": (decision.findtext(q("description")) or "").strip(),
        "hit_policy": (table.get("hitPolicy") or "UNIQUE").upper(),
        "inputs": [{"id": i.get("id") or "", "label": i.get("label") or "",
                    "expression": (i.findtext(f"{q('inputExpression')}/{q('text')}") or "").strip(),
                    "type_ref": (i.find(q("inputExpression")).get("typeRef") if i.find(q("inputExpression"))
                                 is not None else None) or "string"}
                   for i in table.findall(q("input"))],
        "outputs": [{"id": o.get("id") or "", "label": o.get("label") or "", "name": o.get("name") or "",
                     "type_ref": o.get("typeRef") or "string"} for o in table.findall(q("output"))],
        "rules": [{"id": r.get("id") or "", "annotation": (r.findtext(q("description")) or "").strip(),
                   "inputs": [(e.findtext(q("text")) or "").strip() for e in r.findall(q("inputEntry"))],
                   "outputs": [(e.findtext(q("text")) or "").strip() for e in r.findall(q("outputEntry"))]}
                  for r in table.findall(q("rule"))],
    }


# ------------------------------------------------------------------ writing rows as DMN


# Characters XML 1.0 cannot hold (control characters, NUL, lone surrogates): lxml refuses to write them.
_NOT_XML_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _refuse_unwritable_text(table: dict) -> None:
    """Rows come from a JSON body: a cell may hold characters no DMN file can, named here by field."""
    errors: dict[str, tuple[str, str]] = {}

    def walk(value, path: str) -> None:
        if isinstance(value, str) and _NOT_XML_TEXT.search(value):
            errors[path] = ("含有不能写入 DMN 文件的控制字符", "contains control characters a DMN file cannot hold")
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(table, "")
    if errors:
        raise _invalid(errors)


def render_table(table: dict) -> bytes:
    """JSON rows → DMN 1.3 XML. Ids are generated where missing, so every cell can be named in errors."""
    _refuse_unwritable_text(table)
    def el(parent, local: str, **attributes):
        return etree.SubElement(parent, f"{{{DMN_NS}}}{local}",
                                {k: str(v) for k, v in attributes.items() if v not in (None, "")})

    def text_of(parent, local: str, value: str, **attributes):
        element = el(parent, local, **attributes)
        etree.SubElement(element, f"{{{DMN_NS}}}text").text = value
        return element

    root = etree.Element(f"{{{DMN_NS}}}definitions", nsmap={None: DMN_NS},
                         id="Definitions_dispatch_rules", name="派遣规则", namespace="http://citybpm.dev/dmn")
    decision = el(root, "decision", id=DECISION_ID, name=table.get("name") or "派遣规则")
    if table.get("description"):
        el(decision, "description").text = table["description"]
    body = el(decision, "decisionTable", id=f"{DECISION_ID}_table", hitPolicy=table.get("hit_policy") or "UNIQUE")
    for j, column in enumerate(table["inputs"]):
        column_id = _id_or(column.get("id"), f"in_{j + 1}")
        element = el(body, "input", id=column_id, label=column.get("label"))
        text_of(element, "inputExpression", column.get("expression") or "", id=f"{column_id}_expr",
                typeRef=column.get("type_ref") or "string")
    for j, column in enumerate(table["outputs"]):
        el(body, "output", id=_id_or(column.get("id"), f"out_{j + 1}"), label=column.get("label"),
           name=column.get("name"), typeRef=column.get("type_ref") or "string")
    for i, rule in enumerate(table["rules"]):
        rule_id = _unique_rule_id(rule.get("id"), i, table["rules"])
        element = el(body, "rule", id=rule_id)
        if rule.get("annotation"):
            el(element, "description").text = rule["annotation"]
        for j, cell in enumerate(rule.get("inputs") or []):
            text_of(element, "inputEntry", cell or "-", id=f"{rule_id}_in{j + 1}")
        for j, cell in enumerate(rule.get("outputs") or []):
            text_of(element, "outputEntry", cell or "", id=f"{rule_id}_out{j + 1}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _id_or(value: str | None, fallback: str) -> str:
    return value if value and _NAME.match(value) else fallback


def _unique_rule_id(value: str | None, index: int, rules: list[dict]) -> str:
    taken = sum(1 for r in rules[:index] if r.get("id") == value)
    return value if value and _NAME.match(value) and not taken else f"rule_{index + 1}"


# ------------------------------------------------------------------ checking


def check_table(table: dict, org_codes: set[str]) -> None:
    """Raise InvalidData with one field error per problem: field ``rules[i]…``, zh message naming rule i+1."""
    errors: dict[str, tuple[str, str]] = {}
    _check_columns(table, errors)
    if not table["rules"]:
        errors["rules"] = ("至少需要一条规则", "at least one rule is required")
    widths = (len(table["inputs"]), len(table["outputs"]))
    shaped = True  # every rule has one cell per column: the cells can be checked by column
    for i, rule in enumerate(table["rules"]):
        got = (len(rule.get("inputs") or []), len(rule.get("outputs") or []))
        for side, want, have, zh in (("inputs", widths[0], got[0], "输入条件"), ("outputs", widths[1], got[1], "输出")):
            if want != have:
                errors[f"rules[{i}].{side}"] = (f"第 {i + 1} 条规则：{zh}应有 {want} 个，实际 {have} 个",
                                                f"rule {i + 1}: {want} {side} expected, {have} given")
        if got == widths:
            _check_outputs(i, rule, table["outputs"], org_codes, errors)
        shaped = shaped and got == widths
    if shaped and not any(key.startswith("inputs") for key in errors):
        _check_input_cells(table, errors)
    if errors:
        raise _invalid(errors)


def _check_columns(table: dict, errors: dict) -> None:
    if table.get("hit_policy", "UNIQUE") != "UNIQUE":
        errors["hit_policy"] = ("派遣规则表的命中策略必须是 UNIQUE（第一条匹配的规则生效）",
                                "the dispatch table's hit policy must be UNIQUE")
    if not table["inputs"]:
        errors["inputs"] = ("至少需要一个输入列", "at least one input column is required")
    for j, column in enumerate(table["inputs"]):
        try:
            expressions.compile_expression(column.get("expression") or "")
        except expressions.ExpressionError as exc:
            errors[f"inputs[{j}].expression"] = (f"第 {j + 1} 个输入列的表达式无法解析：{exc.reason}",
                                                 f"input column {j + 1}: {exc.reason}")
    names = [column.get("name") or "" for column in table["outputs"]]
    for j, name in enumerate(names):
        if not _NAME.match(name) or names.index(name) != j:
            errors[f"outputs[{j}].name"] = (f"第 {j + 1} 个输出列的变量名“{name}”无效或重复",
                                            f"output column {j + 1}: name '{name}' is invalid or repeated")
    for name in REQUIRED_OUTPUTS:
        if name not in names:
            errors["outputs"] = (f"缺少输出列 {name}（闭环流程要读它）", f"the output column {name} is missing")


def _check_outputs(i: int, rule: dict, columns: list[dict], org_codes: set[str], errors: dict) -> None:
    values = {}
    for column, cell in zip(columns, rule["outputs"]):
        name, label = column["name"], column.get("label") or column["name"]
        field = f"rules[{i}].outputs.{name}"
        try:
            values[name] = expressions.evaluate(cell) if cell.strip() else None
        except expressions.ExpressionError as exc:
            errors[field] = (f"第 {i + 1} 条规则：输出“{label}”的值“{cell}”无法计算（{exc.reason}）；输出须是常量，如 \"D_WATER\"",
                             f"rule {i + 1}: output {name} '{cell}' cannot be evaluated ({exc.reason}); "
                             "outputs are constants such as \"D_WATER\"")
            continue
        problem = _output_problem(name, values[name], org_codes)
        if problem:
            errors[field] = (f"第 {i + 1} 条规则：输出“{label}”{problem[0]}", f"rule {i + 1}: output {name} {problem[1]}")
    if values.get("auto_dispatch") == "yes" and not any(f"rules[{i}].outputs" in key for key in errors):
        if values.get("proposed_mode") not in AUTOMATIC_MODES or not values.get("proposed_department"):
            errors[f"rules[{i}].outputs.auto_dispatch"] = (
                f"第 {i + 1} 条规则：自动派遣只适用于扁平化或标准派遣，且须给出建议部门",
                f"rule {i + 1}: automatic dispatch needs mode flat or standard and a proposed department")


def _output_problem(name: str, value, org_codes: set[str]) -> tuple[str, str] | None:
    if name == "proposed_department":
        if value is not None and (not isinstance(value, str) or value not in org_codes):
            return f"“{value}”不是现有机构代码", f"'{value}' is not an organisation code"
    elif name == "proposed_departments":
        if value is not None and (not isinstance(value, list) or any(v not in org_codes for v in value)):
            unknown = [v for v in value if v not in org_codes] if isinstance(value, list) else value
            return f"须是机构代码列表，未知：{unknown}", f"must be a list of organisation codes; unknown: {unknown}"
    elif name == "proposed_mode":
        if value not in DISPATCH_MODES:
            return (f"“{value}”不是派遣方式（可选：{'、'.join(DISPATCH_MODES)}）",
                    f"'{value}' is not a dispatch mode ({', '.join(DISPATCH_MODES)})")
    elif name == "auto_dispatch":
        if value not in ("yes", "no"):
            return f"须是 \"yes\" 或 \"no\"，而不是“{value}”", f"must be \"yes\" or \"no\", not '{value}'"
    return None


def _check_input_cells(table: dict, errors: dict) -> None:
    """The engine's DMN lint (FEEL hints, sandbox compile) on the rendered table, named by rule and column."""
    fields = {}
    for i, rule in enumerate(table["rules"]):
        rule_id = _unique_rule_id(rule.get("id"), i, table["rules"])
        for j, column in enumerate(table["inputs"]):
            fields[f"{rule_id}_in{j + 1}"] = f"rules[{i}].inputs.{column.get('expression') or j}"
    for problem in lint_dmn(parse_xml(render_table(table)), RULES_FILENAME):
        errors[fields.get(problem.element_id, "xml")] = (problem.message_zh, problem.message_en)


def active_org_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Org.code).where(Org.is_active.is_(True))))


# ------------------------------------------------------------------ saving


def save_rules(session: Session, engine, submitted: bytes | dict, who: audit.Who,
               form_exists: Callable[[str], bool]) -> tuple[Definition, bool, dict]:
    """Check the table (DMN XML, or JSON rows whose missing columns come from the current table) and
    deploy the closed-loop bundle with it. Returns (definition, created, table)."""
    current = current_definition(session)
    before = parse_table(rules_xml(current).encode("utf-8"))
    if isinstance(submitted, dict):
        table = {**before, **{k: v for k, v in submitted.items() if v is not None}}
        xml = render_table(table)
    else:
        xml, table = submitted, parse_table(submitted)
    check_table(table, active_org_codes(session))
    if _rows(table) == _rows(before):
        return current, False, before  # the same table: the same version
    files = [SourceFile(f.filename, f.content.encode("utf-8")) for f in current.files
             if f.filename != RULES_FILENAME] + [SourceFile(RULES_FILENAME, xml)]
    definition, created = engine.deploy(session, files, key=current.key, deployed_by=who.username,
                                        form_exists=form_exists)
    if created:
        audit.record_change(session, who, AUDIT_ACTION, "definition", current.key,
                            before={"version": current.version, **_rows(before)},
                            after={"version": definition.version, **_rows(table)})
    return definition, created, table


def _rows(table: dict) -> dict:
    """What the table decides (ids, names and annotations aside)."""
    return {"hit_policy": table.get("hit_policy"),
            "inputs": [c.get("expression") for c in table["inputs"]],
            "outputs": [c.get("name") for c in table["outputs"]],
            "rules": [[r.get("inputs"), r.get("outputs"), r.get("annotation")] for r in table["rules"]]}


# ------------------------------------------------------------------ trying


def evaluate(session: Session, specs, variables: dict, table: dict | None = None) -> dict:
    """The proposal the rules give for a case's variables: the current table, or ``table`` (unsaved rows).
    The closed loop's own ``citybpm:set`` on the rules task derives district/street codes first."""
    definition = current_definition(session)
    current = parse_table(rules_xml(definition).encode("utf-8"))
    if table is not None:
        table = {**current, **{k: v for k, v in table.items() if v is not None}}
        check_table(table, active_org_codes(session))
    else:
        table = current
    data = dict(variables)
    rules_task = _rules_task_spec(specs.get_by_id(session, definition.id).spec)
    if rules_task is not None:
        try:
            node_effects.apply_assignments(SimpleNamespace(task_spec=rules_task, data=data))
        except expressions.ExpressionError as exc:
            raise _invalid({"variables": (f"变量无法用于派遣规则：{exc.reason}", exc.reason)}) from None
    root = parse_xml(render_table(table))
    dmn = build_parser([ParsedFile(SourceFile(RULES_FILENAME, b""), root, "dmn")]).get_engine(DECISION_ID, None)
    task = SimpleNamespace(data=data, workflow=SimpleNamespace(script_engine=SCRIPT_ENGINE))
    try:
        matched = dmn.decide(task)
        outputs = matched[0].output_as_dict(task) if matched else {}
    except Exception as exc:  # SpiffWorkflow wraps a failing cell in its own exceptions
        raise _invalid({"variables": (f"派遣规则无法按这些变量计算：{exc}", f"the rules failed on these variables: {exc}")}
                       ) from None
    index = next((i for i, r in enumerate(table["rules"])
                  if matched and _unique_rule_id(r.get("id"), i, table["rules"]) == matched[0].id), None)
    return {"matched": bool(matched), "rule_index": index,
            "rule_id": matched[0].id if matched else None,
            "annotation": table["rules"][index].get("annotation") if index is not None else None,
            "outputs": outputs,
            "inputs": {c["expression"]: data.get(c["expression"]) for c in table["inputs"]}}


def _rules_task_spec(spec):
    return next((s for s in spec.task_specs.values() if isinstance(s, BusinessRuleTaskMixin)), None)


def _definition_summary(definition: Definition) -> dict:
    return {"id": definition.id, "key": definition.key, "version": definition.version,
            "sha256": definition.sha256, "deployed_at": definition.deployed_at, "deployed_by": definition.deployed_by}


def _invalid(errors: dict[str, tuple[str, str]]) -> InvalidData:
    return InvalidData({k: v[0] for k, v in errors.items()}, {k: v[1] for k, v in errors.items()})
