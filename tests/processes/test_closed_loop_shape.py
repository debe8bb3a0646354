"""processes/closed_loop.bpmn: schema, conventions, forms, diagram, and runs through SpiffWorkflow.

The runs use SpiffWorkflow's default script engine, which is acceptable in this test only: the
conditions are the file's own. The engine proper evaluates them with simpleeval.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, NoneTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

import SpiffWorkflow
from engine.node_effects import apply_assignments
from engine.parser import CityParser
from forms import form_exists, load_form, validate_submission

ROOT = Path(__file__).resolve().parents[2]
BPMN_FILE = ROOT / "processes" / "closed_loop.bpmn"
BPMNJS_FIXTURE = ROOT / "tests" / "fixtures" / "bpmnjs_camunda.bpmn"
XSD_FILE = Path(SpiffWorkflow.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
CITYBPM = "http://citybpm.dev/schema/1.0/bpmn"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC}

ROLES = {"supervisor", "acceptor", "shift_leader", "dispatcher", "handler"}
STAGES = ["collect", "file", "dispatch", "handle", "feedback", "close", "evaluate"]
OUTCOMES = {
    "end_not_verified": "not_verified", "end_not_accepted": "not_accepted",
    "end_voided": "voided", "end_duplicate": "duplicate", "end_not_filed": "not_filed",
    "end_voided_2": "voided", "end_closed": "closed",
}
USER_TASKS = {  # id: (lane role, candidateGroups)
    "verify": ("supervisor", "supervisor"),
    "accept": ("acceptor", "acceptor"),
    "register": ("shift_leader", "shift_leader"),
    "dispatch": ("dispatcher", "dispatcher"),
    "check": ("supervisor", "supervisor"),
    "close": ("shift_leader", "shift_leader"),
    "revisit": ("acceptor", "acceptor"),
}
FLOW_NODES = {"startEvent", "endEvent", "userTask", "task", "exclusiveGateway", "businessRuleTask", "callActivity"}
# the dispatch variants the closed loop calls (processes/dispatch_*.bpmn) and its rules table
CALLED = sorted((ROOT / "processes").glob("dispatch_*.bpmn"))
RULES = ROOT / "processes" / "dispatch_rules.dmn"
_CONDITION = re.compile(r'^(\w+) (==|!=) "([^"]*)"$')
_CANDIDATE = re.compile(r"^(?:(role|org):)?([A-Za-z0-9_]+|\$\{(\w+)\})$")


def _xml_parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _q(ns, name):
    return f"{{{ns}}}{name}"


@pytest.fixture(scope="module")
def doc():
    return etree.parse(str(BPMN_FILE), _xml_parser())


@pytest.fixture(scope="module")
def process(doc):
    (proc,) = doc.getroot().findall("bpmn:process", NS)
    return proc


@pytest.fixture(scope="module")
def nodes(process):
    return {el.get("id"): el for el in process if etree.QName(el).localname in FLOW_NODES}


@pytest.fixture(scope="module")
def flows(process):
    return {el.get("id"): el for el in process.findall("bpmn:sequenceFlow", NS)}


def _parsed(parser):
    parser.add_bpmn_files([str(BPMN_FILE), *map(str, CALLED)])
    parser.add_dmn_file(str(RULES))
    return parser.get_spec("closed_loop"), parser.get_subprocess_specs("closed_loop")


@pytest.fixture(scope="module")
def spec():
    return _parsed(CamundaParser())[0]





# -- schema and parser -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [BPMN_FILE, BPMNJS_FIXTURE], ids=["closed_loop", "bpmnjs"])
def test_valid_against_bpmn_xsd(path):
    schema = etree.XMLSchema(etree.parse(str(XSD_FILE), _xml_parser()))
    assert schema.validate(etree.parse(str(path), _xml_parser())), schema.error_log


def test_parses_with_camunda_parser(spec, nodes):
    assert spec.name == "closed_loop"
    assert set(nodes) <= set(spec.task_specs)
    for task_id, (role, _) in USER_TASKS.items():
        assert spec.task_specs[task_id].form.key == f"closed_loop_{task_id}"


def test_process_header(doc, process):
    assert process.get("id") == "closed_loop"
    assert process.get("name") == "城市管理问题闭环处置"
    assert process.get("isExecutable") == "true"
    (participant,) = doc.getroot().findall("bpmn:collaboration/bpmn:participant", NS)
    assert participant.get("processRef") == "closed_loop"
    assert doc.getroot().nsmap["citybpm"] == CITYBPM
    assert doc.getroot().nsmap["camunda"] == CAMUNDA


def test_expected_nodes(nodes):
    expected = {"start", "gw_source", "gw_verify", "gw_accept", "gw_register", "gw_rework_merge",
                "gw_check", "rework", "evaluate", *USER_TASKS, *OUTCOMES,
                "propose", "gw_auto", "auto_dispatch", "gw_dispatch_merge", "gw_dispatched", "gw_mode",
                "call_flat", "call_standard", "call_multi", "call_main_assist", "call_cross_region",
                "gw_mode_merge", "gw_returned", "returned", "gw_revisit", "gw_revisit_merge"}
    assert set(nodes) == expected


def test_nothing_the_engine_rejects(process):
    assert not process.findall(".//bpmn:scriptTask", NS)
    assert not [sp for sp in process.iter(_q(BPMN, "subProcess"))
                if sp.get("triggeredByEvent") == "true"]


# -- conventions ---------------------------------------------------------------------------------------

def test_lanes_name_roles(process, nodes):
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    assert {lane.get(_q(CITYBPM, "role")) for lane in lanes} == ROLES
    placed = [ref.text for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)]
    assert sorted(placed) == sorted(nodes)  # every node in exactly one lane


def _lane_role(process, node_id):
    for lane in process.findall("bpmn:laneSet/bpmn:lane", NS):
        if node_id in [ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)]:
            return lane.get(_q(CITYBPM, "role"))
    return None


def test_user_tasks(process, nodes):
    user_tasks = {k: v for k, v in nodes.items() if etree.QName(v).localname == "userTask"}
    assert set(user_tasks) == set(USER_TASKS)
    for task_id, el in user_tasks.items():
        role, candidates = USER_TASKS[task_id]
        form_key = el.get(_q(CAMUNDA, "formKey"))
        assert form_key == f"closed_loop_{task_id}" and form_exists(form_key), task_id
        assert el.get(_q(CITYBPM, "stage")) in STAGES, task_id
        assert el.get(_q(CAMUNDA, "candidateGroups")) == candidates, task_id
        assert _lane_role(process, task_id) == role, task_id
        for entry in candidates.split(","):
            match = _CANDIDATE.match(entry.strip())
            assert match, (task_id, entry)
            if match.group(1) in (None, "role") and not match.group(3):
                assert match.group(2) in ROLES, (task_id, entry)


def test_candidate_expressions_use_form_fields():
    # org:${department}: the dispatcher's form must supply `department`
    keys = {c.get("key") for c in load_form("closed_loop_dispatch")["components"]}
    assert "department" in keys


def test_start_form(nodes):
    assert nodes["start"].get(_q(CAMUNDA, "formKey")) == "closed_loop_start"
    assert form_exists("closed_loop_start")


def test_every_node_has_a_stage_in_loop_order(nodes):
    for node_id, el in nodes.items():
        assert el.get(_q(CITYBPM, "stage")) in STAGES, node_id
    stage = {k: STAGES.index(v.get(_q(CITYBPM, "stage"))) for k, v in nodes.items()}
    main_path = ["start", "verify", "accept", "register", "dispatch", "call_flat",
                 "check", "close", "evaluate", "end_closed"]
    assert [stage[n] for n in main_path] == sorted(stage[n] for n in main_path)
    # 反馈 happens inside the called dispatch variant (processes/dispatch_*.bpmn)
    assert {nodes[n].get(_q(CITYBPM, "stage")) for n in main_path} == set(STAGES) - {"feedback"}


def test_end_outcomes(nodes):
    ends = {k: v.get(_q(CITYBPM, "outcome")) for k, v in nodes.items()
            if etree.QName(v).localname == "endEvent"}
    assert ends == OUTCOMES


def test_counter_and_evaluation_nodes(nodes):
    rework = nodes["rework"]
    assert etree.QName(rework).localname == "task" and rework.get("name") == "返工"
    assert rework.get(_q(CITYBPM, "increment")) == "rework_count"
    evaluate = nodes["evaluate"]
    assert etree.QName(evaluate).localname == "task" and evaluate.get("name") == "综合评价归档"
    assert evaluate.get(_q(CITYBPM, "stage")) == "evaluate"


def _outgoing(flows, node_id):
    return [f for f in flows.values() if f.get("sourceRef") == node_id]


def test_gateway_conditions(nodes, flows):
    for gw_id, gw in nodes.items():
        if etree.QName(gw).localname != "exclusiveGateway":
            continue
        out = _outgoing(flows, gw_id)
        if len(out) < 2:
            assert gw.get("default") is None
            assert all(f.find("bpmn:conditionExpression", NS) is None for f in out)
            continue
        for flow in out:
            cond = flow.find("bpmn:conditionExpression", NS)
            if flow.get("id") == gw.get("default"):
                assert cond is None, flow.get("id")
                continue
            assert cond is not None, flow.get("id")
            assert cond.get(_q(XSI, "type")) == "bpmn:tFormalExpression"
            assert "${" not in cond.text and _CONDITION.match(cond.text.strip()), cond.text


def _choice_values(form_key, field_key):
    for c in load_form(form_key)["components"]:
        if c.get("key") == field_key and c["type"] in ("radio", "select"):
            return {v["value"] for v in c["values"]}
    raise AssertionError(f"{form_key} has no radio/select {field_key}")


@pytest.mark.parametrize("gateway,form_key,field", [
    ("gw_source", "closed_loop_start", "source"),
    ("gw_verify", "closed_loop_verify", "verify_result"),
    ("gw_accept", "closed_loop_accept", "accept_result"),
    ("gw_register", "closed_loop_register", "register_result"),
    ("gw_check", "closed_loop_check", "check_result"),
    ("gw_revisit", "closed_loop_start", "source"),
])
def test_conditions_match_form_options(nodes, flows, gateway, form_key, field):
    options = _choice_values(form_key, field)
    compared = set()
    for flow in _outgoing(flows, gateway):
        cond = flow.find("bpmn:conditionExpression", NS)
        if cond is None:
            continue
        name, _, literal = _CONDITION.match(cond.text.strip()).groups()
        assert name == field and literal in options, cond.text
        compared.add(literal)
    if nodes[gateway].get("default") is None:
        assert compared == options  # every option is routed somewhere


# -- diagram -------------------------------------------------------------------------------------------

def _bounds(shape):
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def test_diagram_covers_everything(doc, process, nodes, flows):
    plane = doc.getroot().find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == "Collaboration_closed_loop"
    shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}
    lanes = {lane.get("id"): lane for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)}
    assert set(shapes) == set(nodes) | set(lanes) | {"Participant_closed_loop"}
    assert set(edges) == set(flows)
    for edge in edges.values():
        assert len(edge.findall("{%s}waypoint" % "http://www.omg.org/spec/DD/20100524/DI")) >= 2

    # lanes: horizontal bands of equal width, stacked without gaps inside the pool
    pool = _bounds(shapes["Participant_closed_loop"])
    bands = sorted(_bounds(shapes[lane_id]) for lane_id in lanes)
    bands.sort(key=lambda b: b[1])
    assert all(shapes[lane_id].get("isHorizontal") == "true" for lane_id in lanes)
    assert len({(b[0], b[2]) for b in bands}) == 1
    assert bands[0][1] == pool[1] and bands[-1][1] + bands[-1][3] == pool[1] + pool[3]
    for upper, lower in zip(bands, bands[1:]):
        assert upper[1] + upper[3] == lower[1]

    # each node is drawn inside its lane's band; the flow runs left to right
    for lane_id, lane in lanes.items():
        _, ly, _, lh = _bounds(shapes[lane_id])
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            x, y, w, h = _bounds(shapes[ref.text])
            assert ly <= y and y + h <= ly + lh, ref.text
    x = {n: _bounds(shapes[n])[0] for n in nodes}
    order = ["start", "gw_source", "verify", "accept", "register", "dispatch", "call_flat",
             "check", "close", "evaluate", "end_closed"]
    assert [x[n] for n in order] == sorted(x[n] for n in order)


# -- runs --------------------------------------------------------------------------------------------

def _counters(nodes):
    return {k: v.get(_q(CITYBPM, "increment")) for k, v in nodes.items()
            if v.get(_q(CITYBPM, "increment"))}


@functools.lru_cache(maxsize=1)
def _city_specs():
    return _parsed(CityParser())


class Run:
    """Drives a closed_loop workflow the way the engine will (forms checked, counters kept)."""

    def __init__(self, spec, nodes, report):
        assert validate_submission(load_form("closed_loop_start"), report) == {}
        self.counters = _counters(nodes)
        self.workflow = BpmnWorkflow(*_city_specs())
        self.workflow.get_next_task(spec_name="Start").data.update(report)
        self.visited: list[str] = []
        self._steps()

    def _count(self, task):
        apply_assignments(task)  # citybpm:set, as the engine runs it
        variable = self.counters.get(task.task_spec.name)
        if variable:
            task.data[variable] = task.data.get(variable, 0) + 1

    def _steps(self):
        # Raw SpiffWorkflow treats a plain bpmn:task (NoneTask) as manual; citybpm runs it
        # automatically (返工 counter, 综合评价归档), so this loop does the same.
        while True:
            self.workflow.do_engine_steps(will_complete_task=self._count)
            automatic = self.workflow.get_tasks(state=TaskState.READY, spec_class=NoneTask)
            if not automatic:
                return
            for task in automatic:
                self._count(task)
                task.run()

    def ready(self):
        return [t.task_spec.name
                for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                if not isinstance(t.task_spec, NoneTask)]

    def complete(self, task_id, data):
        (task,) = [t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                   if not isinstance(t.task_spec, NoneTask)]
        assert task.task_spec.name == task_id
        errors = validate_submission(load_form(task.task_spec.form.key), {**task.data, **data})
        assert errors == {}, errors
        task.data.update(data)
        task.run()
        self.visited.append(task_id)
        self._steps()
        return self

    def end(self):
        assert self.workflow.is_completed()
        ends = [t.task_spec.name for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
                if isinstance(t.task_spec, EndEvent) and t.workflow is self.workflow]
        assert len(ends) == 1
        return ends[0]


REPORT = {
    "source": "supervisor", "category_type": "part", "category_code": "0101",
    "grid_code": "110101001001001", "address": "东城区东华门大街 1 号", "longitude": 116.397,
    "latitude": 39.909, "description": "上水井盖缺失", "photos": ["file:8c1e"],
    "reporter": "S0001",
}
ACCEPT = {"accept_result": "accept", "accept_opinion": "符合受理条件"}
FILE = {"register_result": "file", "register_opinion": "同意立案"}


def _to_handle(run):
    return (run.complete("accept", ACCEPT).complete("register", FILE)
            .complete("dispatch", {"department": "D_WATER", "dispatch_opinion": "井盖归水务"}))


def _handle_and_feedback(run, attempt):
    run.complete("handle", {"handle_sign": True, "handle_measures": f"第 {attempt} 次处置：更换井盖"})
    return run.complete("feedback", {"feedback_result": "已更换", "feedback_photos": ["file:a1"]})


def test_supervisor_report_with_one_rework_is_closed(spec, nodes):
    run = Run(spec, nodes, REPORT)
    assert run.ready() == ["accept"]  # supervisor reports skip 核实
    _to_handle(run)
    _handle_and_feedback(run, 1)
    run.complete("check", {"check_result": "fail", "check_opinion": "井盖尺寸不符"})
    assert run.ready() == ["handle"]
    _handle_and_feedback(run, 2)
    run.complete("check", {"check_result": "pass", "check_opinion": "合格"})
    run.complete("close", {"close_opinion": "结案"})
    assert run.end() == "end_closed"
    assert run.visited == ["accept", "register", "dispatch", "handle", "feedback", "check",
                           "handle", "feedback", "check", "close"]
    final = run.workflow.last_task.data
    assert final["rework_count"] == 1
    assert final["department"] == "D_WATER" and final["check_result"] == "pass"
    completed = {t.task_spec.name for t in run.workflow.get_tasks(state=TaskState.COMPLETED)}
    assert {"rework", "evaluate", "gw_rework_merge"} <= completed


def test_public_report_not_confirmed(spec, nodes):
    run = Run(spec, nodes, {**REPORT, "source": "hotline_12345", "reporter": "市民 王女士"})
    assert run.ready() == ["verify"]
    run.complete("verify", {"verify_result": "not_confirmed", "verify_opinion": "现场井盖完好"})
    assert run.end() == "end_not_verified"


def test_public_report_is_revisited_after_closing(spec, nodes):
    run = Run(spec, nodes, {**REPORT, "source": "hotline_12345", "reporter": "市民 王女士"})
    run.complete("verify", {"verify_result": "confirmed"})
    _to_handle(run)
    _handle_and_feedback(run, 1)
    run.complete("check", {"check_result": "pass"}).complete("close", {"close_opinion": "结案"})
    assert run.ready() == ["revisit"]
    with pytest.raises(AssertionError):  # 满意度 is required
        run.complete("revisit", {"revisit_note": "未接通"})
    run.complete("revisit", {"satisfaction": "dissatisfied", "revisit_note": "处置太慢"})
    assert run.end() == "end_closed"
    assert run.workflow.last_task.data["satisfaction"] == "dissatisfied"
    assert run.visited[-2:] == ["close", "revisit"]


def test_public_report_confirmed_goes_to_accept(spec, nodes):
    run = Run(spec, nodes, {**REPORT, "source": "wechat"})
    run.complete("verify", {"verify_result": "confirmed", "verify_photos": ["file:v1"]})
    assert run.ready() == ["accept"]


def test_register_not_filed(spec, nodes):
    run = Run(spec, nodes, REPORT)
    run.complete("accept", ACCEPT)
    run.complete("register", {"register_result": "not_filed", "register_opinion": "不属于立案范围"})
    assert run.end() == "end_not_filed"


def test_register_voided(spec, nodes):
    run = Run(spec, nodes, REPORT)
    run.complete("accept", ACCEPT).complete("register", {"register_result": "voided"})
    assert run.end() == "end_voided_2"


@pytest.mark.parametrize("result,extra,end", [
    ("not_accepted", {}, "end_not_accepted"),
    ("voided", {}, "end_voided"),
    ("duplicate", {"duplicate_of": "C-2026-000123"}, "end_duplicate"),
])
def test_accept_outcomes(spec, nodes, result, extra, end):
    run = Run(spec, nodes, REPORT)
    run.complete("accept", {"accept_result": result, "accept_opinion": "意见", **extra})
    assert run.end() == end
