"""Deploy checks: XSD validation (engine.validation) and lint (engine.lint)."""
from engine.lint import lint_bpmn, lint_dmn
from engine.problems import DeploymentRejected, Problem
from engine.validation import validate_xsd
from engine.xmlsafe import parse_xml

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:flowable="http://flowable.org/bpmn" '
    'xmlns:citybpm="http://citybpm.dev/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
KNOWN_FORMS = {"intake", "dispatch"}


def definitions(inner: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} id="Defs" '
            f'targetNamespace="http://citybpm.dev/test">\n{inner}\n</bpmn:definitions>').encode()


def process(body: str, attributes: str = 'isExecutable="true"') -> bytes:
    """An otherwise clean executable process, so each test triggers exactly one rule."""
    return definitions(f'<bpmn:process id="P" {attributes}>\n<bpmn:startEvent id="Start"/>\n{body}\n</bpmn:process>')


def lint(data: bytes) -> list[Problem]:
    return lint_bpmn(parse_xml(data), "test.bpmn", lambda key: key in KNOWN_FORMS)


def found(problems: list[Problem]) -> list[tuple[str, str | None]]:
    return [(p.code, p.element_id) for p in problems]


# ------------------------------------------------------------ clean files

CLEAN = process("""
<bpmn:laneSet id="Lanes"><bpmn:lane id="Lane_center" name="指挥中心">
  <bpmn:flowNodeRef>Dispatch</bpmn:flowNodeRef><bpmn:flowNodeRef>Sub</bpmn:flowNodeRef>
</bpmn:lane></bpmn:laneSet>
<bpmn:userTask id="Dispatch" name="派单" camunda:formKey="dispatch"/>
<bpmn:exclusiveGateway id="Gw" default="Normal"/>
<bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Dispatch"/>
<bpmn:sequenceFlow id="F2" sourceRef="Dispatch" targetRef="Gw"/>
<bpmn:sequenceFlow id="Urgent" sourceRef="Gw" targetRef="Sub">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">urgency == "紧急"</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="Normal" sourceRef="Gw" targetRef="Sub"/>
<bpmn:subProcess id="Sub" name="处置">
  <bpmn:startEvent id="SubStart"/>
  <bpmn:userTask id="Handle" name="处置"/>
  <bpmn:boundaryEvent id="Deadline" attachedToRef="Handle" cancelActivity="false">
    <bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:endEvent id="SubEnd"/>
  <bpmn:sequenceFlow id="S1" sourceRef="SubStart" targetRef="Handle"/>
  <bpmn:sequenceFlow id="S2" sourceRef="Handle" targetRef="SubEnd"/>
</bpmn:subProcess>
<bpmn:intermediateCatchEvent id="Wait">
  <bpmn:timerEventDefinition><bpmn:timeDate>add_work_hours(start, 2)</bpmn:timeDate></bpmn:timerEventDefinition>
</bpmn:intermediateCatchEvent>
<bpmn:endEvent id="End"/>
<bpmn:sequenceFlow id="F3" sourceRef="Sub" targetRef="Wait"/>
<bpmn:sequenceFlow id="F4" sourceRef="Wait" targetRef="End"/>
""")


def test_clean_file_has_no_problems():
    root = parse_xml(CLEAN)
    assert validate_xsd(root, "clean.bpmn") == []
    assert lint_bpmn(root, "clean.bpmn", lambda key: key in KNOWN_FORMS) == []


# ------------------------------------------------------------ one test per rule

def test_script_task():
    problems = lint(process('<bpmn:scriptTask id="Script_1" name="算分" scriptFormat="python"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'))
    assert found(problems) == [("lint.script_task", "Script_1")]
    assert "服务任务" in problems[0].message_zh
    assert problems[0].file == "test.bpmn" and problems[0].line == 5


def test_interrupting_event_subprocess():
    problems = lint(process("""
<bpmn:subProcess id="Withdraw" triggeredByEvent="true">
  <bpmn:startEvent id="WithdrawStart"><bpmn:messageEventDefinition/></bpmn:startEvent>
</bpmn:subProcess>"""))
    assert found(problems) == [("lint.event_subprocess", "Withdraw")]
    assert "中断型" in problems[0].message_zh and "非中断型" not in problems[0].message_zh
    assert "边界事件" in problems[0].message_zh and "嵌入式子流程" in problems[0].message_zh


def test_non_interrupting_event_subprocess_is_rejected_too():
    problems = lint(process("""
<bpmn:subProcess id="Remind" triggeredByEvent="true">
  <bpmn:startEvent id="RemindStart" isInterrupting="false"><bpmn:messageEventDefinition/></bpmn:startEvent>
</bpmn:subProcess>"""))
    assert found(problems) == [("lint.event_subprocess", "Remind")]
    assert "非中断型" in problems[0].message_zh
    assert "non-interrupting" in problems[0].message_en


GATEWAY = """
<bpmn:{kind} id="Gw" default="Other"/>
<bpmn:task id="A"/><bpmn:task id="B"/><bpmn:task id="C"/>
<bpmn:sequenceFlow id="In" sourceRef="Start" targetRef="Gw"/>
<bpmn:sequenceFlow id="ToA" sourceRef="Gw" targetRef="A">
  <bpmn:conditionExpression>amount &gt; 100</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="ToB" sourceRef="Gw" targetRef="B"/>
<bpmn:sequenceFlow id="Other" sourceRef="Gw" targetRef="C"/>
"""


def test_missing_condition_on_exclusive_gateway():
    problems = lint(process(GATEWAY.format(kind="exclusiveGateway")))
    assert found(problems) == [("lint.missing_condition", "ToB")]
    assert "Gw" in problems[0].message_zh and "排他网关" in problems[0].message_zh


def test_missing_condition_on_inclusive_gateway():
    problems = lint(process(GATEWAY.format(kind="inclusiveGateway")))
    assert found(problems) == [("lint.missing_condition", "ToB")]
    assert "包容网关" in problems[0].message_zh


def test_gateway_with_one_way_out_needs_no_condition():
    assert lint(process("""
<bpmn:exclusiveGateway id="Gw"/><bpmn:task id="A"/>
<bpmn:sequenceFlow id="In" sourceRef="Start" targetRef="Gw"/>
<bpmn:sequenceFlow id="Out" sourceRef="Gw" targetRef="A"/>""")) == []


def test_bad_condition_names_flow_and_reason():
    problems = lint(process("""
<bpmn:task id="A"/>
<bpmn:sequenceFlow id="Broken" sourceRef="Start" targetRef="A">
  <bpmn:conditionExpression>amount &gt;</bpmn:conditionExpression>
</bpmn:sequenceFlow>"""))
    assert found(problems) == [("lint.bad_condition", "Broken")]
    assert "语法错误" in problems[0].message_zh
    assert "syntax error" in problems[0].message_en


def test_camunda_style_condition_is_accepted_and_juel_operators_get_a_hint():
    problems = lint(process("""
<bpmn:task id="A"/>
<bpmn:sequenceFlow id="Juel" sourceRef="Start" targetRef="A">
  <bpmn:conditionExpression>${amount &gt; 100}</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="JuelAnd" sourceRef="Start" targetRef="A">
  <bpmn:conditionExpression>${a &amp;&amp; b}</bpmn:conditionExpression>
</bpmn:sequenceFlow>"""))
    assert found(problems) == [("lint.bad_condition", "JuelAnd")]
    assert "and" in problems[0].message_zh


def timer(event_id: str, spec: str) -> str:
    return (f'<bpmn:intermediateCatchEvent id="{event_id}">'
            f'<bpmn:timerEventDefinition>{spec}</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


def test_bad_timers():
    problems = lint(process("\n".join([
        timer("NoTime", ""),
        timer("EmptyTime", "<bpmn:timeDuration>  </bpmn:timeDuration>"),
        timer("Typo", "<bpmn:timeDuration>PT2X</bpmn:timeDuration>"),
        timer("Naive", "<bpmn:timeDate>2026-03-01T09:00:00</bpmn:timeDate>"),
        timer("WrongKind", "<bpmn:timeDate>PT2H</bpmn:timeDate>"),
        timer("NotAnExpression", "<bpmn:timeCycle>0 0 9 * * ?</bpmn:timeCycle>"),
    ])))
    assert found(problems) == [("lint.bad_timer", event_id) for event_id in
                               ("NoTime", "EmptyTime", "Typo", "Naive", "WrongKind", "NotAnExpression")]
    assert all("+08:00" in p.message_zh for p in problems)  # every message warns about naive datetimes


def test_good_timers():
    assert lint(process("\n".join([
        timer("Bare", "<bpmn:timeDuration>PT2H</bpmn:timeDuration>"),
        timer("Quoted", '<bpmn:timeDuration>"P3D"</bpmn:timeDuration>'),
        timer("Date", "<bpmn:timeDate>2026-03-01T09:00:00+08:00</bpmn:timeDate>"),
        timer("Cycle", "<bpmn:timeCycle>R3/PT1H</bpmn:timeCycle>"),
        timer("Calendar", "<bpmn:timeDate>add_work_hours(start, 2)</bpmn:timeDate>"),
    ]))) == []


def test_unknown_form_in_each_namespace():
    problems = lint(process("""
<bpmn:userTask id="Known" camunda:formKey="dispatch" camunda:assignee="u1"/>
<bpmn:userTask id="ByCamunda" camunda:formKey="nope1" camunda:assignee="u1"/>
<bpmn:userTask id="ByFlowable" flowable:formKey="nope2" flowable:assignee="u1"/>
<bpmn:userTask id="ByCitybpm" citybpm:formKey="nope3" citybpm:assignee="u1"/>""",
                            ))
    assert found(problems) == [("lint.unknown_form", "ByCamunda"), ("lint.unknown_form", "ByFlowable"),
                               ("lint.unknown_form", "ByCitybpm")]
    assert "nope1" in problems[0].message_zh


def test_form_exists_is_asked_with_the_key():
    asked = []
    lint_bpmn(parse_xml(process('<bpmn:userTask id="T" camunda:formKey=" intake " camunda:assignee="u"/>')),
              "t.bpmn", lambda key: asked.append(key) or True)
    assert asked == ["intake"]


def test_no_assignee():
    problems = lint(process("""
<bpmn:laneSet id="Lanes">
  <bpmn:lane id="Named" name="城管局"><bpmn:flowNodeRef>InNamedLane</bpmn:flowNodeRef></bpmn:lane>
  <bpmn:lane id="Role" citybpm:role="inspector"><bpmn:flowNodeRef>InRoleLane</bpmn:flowNodeRef></bpmn:lane>
  <bpmn:lane id="Bare"><bpmn:flowNodeRef>InBareLane</bpmn:flowNodeRef></bpmn:lane>
</bpmn:laneSet>
<bpmn:userTask id="Nobody" name="核查"/>
<bpmn:userTask id="InBareLane"/>
<bpmn:userTask id="InNamedLane"/>
<bpmn:userTask id="InRoleLane"/>
<bpmn:userTask id="Camunda" camunda:assignee="u1"/>
<bpmn:userTask id="Flowable" flowable:candidateGroups="城管局"/>
<bpmn:userTask id="Citybpm" citybpm:candidateUsers="u1,u2"/>
<bpmn:userTask id="Blank" camunda:assignee="  "/>"""))
    assert found(problems) == [("lint.no_assignee", "Nobody"), ("lint.no_assignee", "InBareLane"),
                               ("lint.no_assignee", "Blank")]
    assert "“核查”（Nobody）" in problems[0].message_zh


def test_no_executable_process():
    problems = lint(process("", attributes='isExecutable="false"'))
    assert found(problems) == [("lint.no_executable_process", "P")]
    problems = lint(process("", attributes=""))
    assert found(problems) == [("lint.no_executable_process", "P")]


def test_one_executable_process_among_pools_is_enough():
    data = definitions("""
<bpmn:process id="Citizen" isExecutable="false"/>
<bpmn:process id="Main" isExecutable="true"><bpmn:startEvent id="S"/></bpmn:process>""")
    assert lint(data) == []


def test_no_start_event_in_process_and_embedded_subprocess():
    data = definitions("""
<bpmn:process id="NoStart" isExecutable="true">
  <bpmn:task id="A"/>
  <bpmn:subProcess id="SubNoStart"><bpmn:task id="B"/></bpmn:subProcess>
</bpmn:process>""")
    assert found(lint(data)) == [("lint.no_start_event", "NoStart"), ("lint.no_start_event", "SubNoStart")]


def test_dangling_flow():
    problems = lint(process("""
<bpmn:task id="A"/>
<bpmn:sequenceFlow id="ToNowhere" sourceRef="Start" targetRef="Deleted"/>
<bpmn:sequenceFlow id="FromNowhere" sourceRef="Gone" targetRef="A"/>
<bpmn:sequenceFlow id="ToShape" sourceRef="A" targetRef="A_di"/>
<bpmndi:BPMNShape xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="A_di" bpmnElement="A"/>"""))
    assert found(problems) == [("lint.dangling_flow", "ToNowhere"), ("lint.dangling_flow", "FromNowhere"),
                               ("lint.dangling_flow", "ToShape")]
    assert "Deleted" in problems[0].message_zh


def test_every_problem_in_a_file_is_reported():
    data = process("""
<bpmn:scriptTask id="Script"/>
<bpmn:userTask id="Orphan" camunda:formKey="missing"/>
<bpmn:exclusiveGateway id="Gw"/>
<bpmn:sequenceFlow id="G1" sourceRef="Gw" targetRef="Script"/>
<bpmn:sequenceFlow id="G2" sourceRef="Gw" targetRef="Orphan">
  <bpmn:conditionExpression>import os</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="Lost" sourceRef="Script" targetRef="Nowhere"/>
""" + timer("Late", "<bpmn:timeDate>2026-03-01T09:00:00</bpmn:timeDate>"))
    assert set(found(lint(data))) == {
        ("lint.script_task", "Script"),
        ("lint.unknown_form", "Orphan"),
        ("lint.no_assignee", "Orphan"),
        ("lint.missing_condition", "G1"),
        ("lint.bad_condition", "G2"),
        ("lint.dangling_flow", "Lost"),
        ("lint.bad_timer", "Late"),
    }


def test_problems_come_in_line_order():
    problems = lint(process('<bpmn:scriptTask id="S1"/>\n<bpmn:userTask id="U1"/>\n<bpmn:scriptTask id="S2"/>'))
    assert [p.element_id for p in problems] == ["S1", "U1", "S2"]


# ------------------------------------------------------------ Problem

def test_problem_to_dict_in_both_languages():
    problem = Problem("lint.script_task", "S", "中文", "English", "a.bpmn", 3)
    assert problem.to_dict() == {"code": "lint.script_task", "element_id": "S", "message": "中文",
                                 "file": "a.bpmn", "line": 3}
    assert problem.to_dict("en")["message"] == "English"
    assert problem.to_dict("en-US")["message"] == "English"
    error = DeploymentRejected([problem])
    assert error.problems == [problem]


# ------------------------------------------------------------ DMN

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn(hit_policy: str = "UNIQUE", cells: tuple[str, ...] = ('"A"',), extra: str = "", namespace: str = DMN13) -> bytes:
    rules = "".join(
        f'<rule id="Rule_{i}"><inputEntry id="In_{i}"><text>{cell}</text></inputEntry>'
        f'<outputEntry id="Out_{i}"><text>"ok"</text></outputEntry></rule>'
        for i, cell in enumerate(cells, start=1))
    return (f'<definitions xmlns="{namespace}" id="Defs" name="d" namespace="http://citybpm.dev/dmn">'
            f'<decision id="Route" name="分派"><decisionTable id="Table" hitPolicy="{hit_policy}" {extra}>'
            f'<input id="Input_1"><inputExpression id="Expr_1" typeRef="string"><text>category</text></inputExpression></input>'
            f'<output id="Output_1" name="result" typeRef="string"/>{rules}'
            f'</decisionTable></decision></definitions>').encode()


def test_clean_dmn():
    root = parse_xml(dmn(cells=('"A"', '? in ("A", "B")', "&lt; 10", "-", "", '"what?"')))
    assert validate_xsd(root, "d.dmn") == []
    assert lint_dmn(root, "d.dmn") == []
    assert lint_dmn(parse_xml(dmn("COLLECT")), "d.dmn") == []


def test_dmn_hit_policy():
    assert found(lint_dmn(parse_xml(dmn("FIRST")), "d.dmn")) == [("lint.dmn_hit_policy", "Route")]
    assert found(lint_dmn(parse_xml(dmn("RULE ORDER")), "d.dmn")) == [("lint.dmn_hit_policy", "Route")]
    problems = lint_dmn(parse_xml(dmn("COLLECT", extra='aggregation="SUM"')), "d.dmn")
    assert found(problems) == [("lint.dmn_hit_policy", "Route")]
    assert "COLLECT SUM" in problems[0].message_zh


def test_dmn_feel_cells():
    cells = ('in ("A","B")', '"A","B"', "[1..10]", 'not("A")', "? in (", '"A"')
    problems = lint_dmn(parse_xml(dmn(cells=cells)), "d.dmn")
    assert found(problems) == [("lint.dmn_cell", f"In_{i}") for i in (1, 2, 3, 4, 5)]
    assert '? in ("A", "B")' in problems[0].message_zh
    assert "1 <= ? <= 10" in problems[2].message_zh


# ------------------------------------------------------------ XSD

def test_xsd_reports_every_error_with_line_and_element():
    data = definitions("""<bpmn:process id="P" isExecutable="maybe">
  <bpmn:startEvent id="Start"/>
  <bpmn:userTask id="T" bogus="1"/>
  <bpmn:sequenceFlow id="F" sourceRef="Start"/>
  <bpmn:task id="1bad"/>
</bpmn:process>
<bpmn:process id="P2"><bpmn:foo/></bpmn:process>""")
    problems = validate_xsd(parse_xml(data), "x.bpmn")
    assert [(p.code, p.element_id, p.line) for p in problems] == [
        ("xsd.invalid", "P", 3),
        ("xsd.invalid", "T", 5),
        ("xsd.invalid", "F", 6),
        ("xsd.invalid", "1bad", 7),
        ("xsd.invalid", "P2", 9),
    ]
    assert all(p.file == "x.bpmn" for p in problems)
    assert "targetRef" in problems[2].message_zh and "缺少必填属性" in problems[2].message_zh


def test_xsd_accepts_bpmn_js_correlation_quirk_without_touching_the_tree():
    data = definitions("""<bpmn:correlationProperty id="Prop">
  <bpmn:correlationPropertyRetrievalExpression messageRef="Msg">
    <bpmn:formalExpression>case_id</bpmn:formalExpression>
  </bpmn:correlationPropertyRetrievalExpression>
</bpmn:correlationProperty>
<bpmn:message id="Msg" name="withdraw"/>
<bpmn:process id="P" isExecutable="true"><bpmn:startEvent id="S"/></bpmn:process>""")
    root = parse_xml(data)
    assert validate_xsd(root, "q.bpmn") == []
    assert root.find(".//{*}formalExpression") is not None


def test_xsd_dmn_errors_and_unknown_roots():
    bad = dmn().replace(b'<output id="Output_1"', b'<bogus/><output id="Output_1"')
    problems = validate_xsd(parse_xml(bad), "d.dmn")
    assert problems and all(p.code == "xsd.invalid" for p in problems)
    # DMN 1.2: SpiffWorkflow's schema for it does not load, so only the root is checked.
    assert validate_xsd(parse_xml(dmn(namespace="http://www.omg.org/spec/DMN/20180521/MODEL/")), "d.dmn") == []
    problems = validate_xsd(parse_xml(b'<html id="h"/>'), "x.bpmn")
    assert found(problems) == [("xsd.not_definitions", "h")]

