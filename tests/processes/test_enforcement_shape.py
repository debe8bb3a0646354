"""processes/enforcement_*.bpmn: deploy-level checks (XSD, lint, parse), conventions and the diagram."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.deployment import SourceFile, build_parser, check_files
from forms import form_exists, load_form

ROOT = Path(__file__).resolve().parents[2]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
CITYBPM = "{http://citybpm.dev/schema/1.0/bpmn}"
PROCESSES = ["enforcement_simple", "enforcement_ordinary", "enforcement_coercion"]
ROLES = {"handler", "enforce_head", "legal_head", "deputy_leader"}


def _root(name: str):
    return etree.fromstring((ROOT / "processes" / f"{name}.bpmn").read_bytes())


@pytest.mark.parametrize("name", PROCESSES)
def test_deploys_without_problems(name):
    files = [SourceFile(f"{name}.bpmn", (ROOT / "processes" / f"{name}.bpmn").read_bytes())]
    parsed, problems = check_files(files, form_exists)
    assert problems == []
    assert build_parser(parsed).get_spec(name) is not None


@pytest.mark.parametrize("name", PROCESSES)
def test_every_user_task_has_candidates_a_form_with_required_fields_and_a_stage(name):
    tasks = _root(name).xpath("//bpmn:userTask", namespaces=NS)
    assert tasks
    for task in tasks:
        assert task.get(f"{CAMUNDA}candidateGroups"), task.get("id")
        assert task.get(f"{CITYBPM}stage"), task.get("id")
        form = load_form(task.get(f"{CAMUNDA}formKey"))
        assert any(c.get("validate", {}).get("required") for c in form["components"]), task.get("id")


@pytest.mark.parametrize("name", PROCESSES)
def test_lanes_roles_and_a_complete_diagram(name):
    root = _root(name)
    lanes = root.xpath("//bpmn:lane", namespaces=NS)
    assert {lane.get(f"{CITYBPM}role") for lane in lanes} <= ROLES
    in_lanes = [ref.text for ref in root.xpath("//bpmn:lane/bpmn:flowNodeRef", namespaces=NS)]
    top_level = root.xpath("//bpmn:process/*[not(self::bpmn:laneSet) and not(self::bpmn:sequenceFlow)]/@id",
                           namespaces=NS)
    assert sorted(in_lanes) == sorted(top_level)
    drawn = set(root.xpath("//bpmndi:BPMNShape/@bpmnElement | //bpmndi:BPMNEdge/@bpmnElement", namespaces=NS))
    elements = set(root.xpath("//bpmn:process//*[@id and not(self::bpmn:laneSet)]/@id", namespaces=NS))
    assert elements - drawn == set()
    for end in root.xpath("//bpmn:process/bpmn:endEvent", namespaces=NS):
        assert end.get(f"{CITYBPM}outcome"), end.get("id")


def test_document_nodes_of_the_ordinary_procedure():
    documents = {t.get("id"): t.get(f"{CITYBPM}document") for t in _root("enforcement_ordinary").iter()
                 if t.get(f"{CITYBPM}document")}
    assert documents == {
        "file_approval": "filing_approval", "investigate": "inquiry_record",
        "preserve_evidence": "evidence_preservation", "preservation_decision": "evidence_decision",
        "investigation_report": "investigation_report", "review_legal": "legal_review",
        "review_leader": "penalty_approval", "collective_discussion": "group_discussion",
        "prior_notice": "prior_notice", "hearing_notice": "hearing_summons", "hearing": "hearing_record",
        "decide": "penalty_decision", "serve": "service_receipt", "remind": "demand_notice",
        "court_application": "court_application", "closing": "closing_report"}
