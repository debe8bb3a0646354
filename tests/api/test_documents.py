"""文书: numbered per type and year without gaps or reuse (also under concurrent issue), issued by a
citybpm:document node with the task's data, printable (escaped), visible only with the case."""
from __future__ import annotations

import datetime as _dt
import re
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.extensions import db
from engine import clock
from engine.enforcement.documents import issue_document
from engine.enforcement.records import CaseDocument
from engine.models import Event, Instance
from tests.api.test_definitions_api import upload

CITYBPM_NS = 'xmlns:citybpm="http://citybpm.dev/schema/1.0/bpmn"'


def document_process(process_id: str, doc_type: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" {CITYBPM_NS} id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
    <bpmn:userTask id="decide" name="作出处罚决定" camunda:candidateGroups="acceptor" citybpm:document="{doc_type}"/>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture
def case_id(api):
    """A running case to hang documents on."""
    admin = api("admin")
    assert upload(admin, document_process("doc_numbering_case", "penalty_decision")).status_code in (200, 201)
    started = api("sly").ok("POST", "/cases", 201, json={"process_key": "doc_numbering_case", "variables": {}})
    return started["id"]


def issue(session, case_id, doc_type="penalty_decision", at=None):
    return issue_document(session, case_id=case_id, doc_type=doc_type, data={"party_name": "张三"}, actor="zf",
                          at=at or clock.now())


def test_node_with_document_issues_it_with_the_task_data_and_prints_escaped(api):
    admin, acceptor = api("admin"), api("sly")
    assert upload(admin, document_process("doc_node_issue", "penalty_decision")).status_code in (200, 201)
    case_no = acceptor.ok("POST", "/cases", 201, json={"process_key": "doc_node_issue",
                                                       "variables": {"location": "人民路 8 号"}})["case_no"]
    acceptor.complete(case_no, "decide", {"party_name": "<script>alert('x')</script>", "fine_amount": 150})

    [document] = acceptor.ok("GET", f"/cases/{case_no}/documents")
    year = clock.now().year
    assert re.fullmatch(rf"城管罚决字〔{year}〕第\d{{4}}号", document["number"])
    assert (document["doc_type"], document["title"], document["node_id"]) == ("penalty_decision", "行政处罚决定书", "decide")
    # the case data merged with the submission
    assert document["data"]["location"] == "人民路 8 号" and document["data"]["fine_amount"] == 150
    events = acceptor.ok("GET", f"/cases/{case_no}/events")
    issued = [e for e in events if e["type"] == "document.issued"]
    assert issued and issued[0]["data"]["number"] == document["number"]

    page = acceptor.get(f"/documents/{document['id']}/print")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert document["number"] in html and "行政处罚决定书" in html and "@page" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(" in html
    assert acceptor.ok("GET", f"/documents/{document['id']}")["number"] == document["number"]


def test_documents_are_hidden_with_their_case(api):
    admin, acceptor = api("admin"), api("sly")
    assert upload(admin, document_process("doc_visibility", "closing_report")).status_code in (200, 201)
    case_no = acceptor.ok("POST", "/cases", 201, json={"process_key": "doc_visibility", "variables": {}})["case_no"]
    acceptor.complete(case_no, "decide", {})
    [document] = acceptor.ok("GET", f"/cases/{case_no}/documents")
    # the supervisor neither started nor worked on this case (data scope "self")
    assert api("jdy").get(f"/documents/{document['id']}").status_code in (403, 404)
    assert api("jdy").get(f"/documents/{document['id']}/print").status_code in (403, 404)


def test_unknown_document_type_is_refused_at_deploy_naming_the_element(api):
    response = upload(api("admin"), document_process("doc_unknown_type", "no_such_document"))
    assert response.status_code == 422, response.text
    problems = response.json()["errors"]
    assert any(p["code"] == "lint.unknown_document" and p["element_id"] == "decide" for p in problems), problems


def test_numbers_are_consecutive_per_type_and_restart_each_year(app_context, case_id):
    session = db.session
    first = issue(session, case_id)
    second = issue(session, case_id)
    other_type = issue(session, case_id, doc_type="service_receipt")
    assert second["seq"] == first["seq"] + 1
    assert other_type["seq"] == 1  # each type counts on its own
    next_year = _dt.datetime(first["year"] + 1, 1, 1, 0, 5, tzinfo=clock.DEFAULT_TZ)
    new_year = issue(session, case_id, at=next_year)
    assert (new_year["year"], new_year["seq"]) == (first["year"] + 1, 1)
    assert new_year["number"] == f"城管罚决字〔{first['year'] + 1}〕第0001号"
    session.commit()


def test_a_rolled_back_issue_does_not_burn_its_number(app_context, case_id):
    session = db.session
    kept = issue(session, case_id)
    session.commit()
    issue(session, case_id)
    session.rollback()
    after = issue(session, case_id)
    session.commit()
    assert after["seq"] == kept["seq"] + 1
    numbers = session.scalars(select(CaseDocument.seq).where(CaseDocument.doc_type == "penalty_decision",
                                                             CaseDocument.year == kept["year"])).all()
    assert sorted(numbers) == [kept["seq"], kept["seq"] + 1]
    assert session.scalar(select(func.count()).select_from(Event).where(Event.type == "document.issued")) == 2


def test_concurrent_issue_gives_distinct_gap_free_numbers(app_context, case_id):
    threads_count, per_thread = 6, 5
    engine = db.engine  # bound here: the threads have no app context
    barrier = threading.Barrier(threads_count)
    numbers, errors = [], []

    def worker():
        barrier.wait()
        for _ in range(per_thread):
            try:
                with Session(engine) as session, session.begin():
                    numbers.append(issue(session, case_id, doc_type="demand_notice")["seq"])
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sorted(numbers) == list(range(1, threads_count * per_thread + 1))
    stored = db.session.scalars(select(CaseDocument.number).where(CaseDocument.doc_type == "demand_notice")).all()
    assert len(set(stored)) == threads_count * per_thread


def test_number_pattern_is_configurable_and_checked(api, app_context, case_id):
    admin = api("admin")
    bad = admin.request("PATCH", "/document-types/hearing_notice", json={"number_pattern": "听告{seq.__class__}"})
    assert bad.status_code == 422 and "number_pattern" in bad.text
    missing_seq = admin.request("PATCH", "/document-types/hearing_notice", json={"number_pattern": "听告{year}"})
    assert missing_seq.status_code == 422
    huge = admin.request("PATCH", "/document-types/hearing_notice", json={"number_pattern": "听告{seq:0999999999d}"})
    assert huge.status_code == 422 and "宽度" in huge.text
    changed = admin.ok("PATCH", "/document-types/hearing_notice", json={"number_pattern": "听告〔{year}〕{seq:03d}"})
    assert changed["number_pattern"] == "听告〔{year}〕{seq:03d}"
    try:
        issued = issue(db.session, case_id, doc_type="hearing_notice")
        db.session.commit()
        assert issued["number"] == f"听告〔{issued['year']}〕001"
        assert api("zf").request("PATCH", "/document-types/hearing_notice",
                                 json={"number_pattern": "X{seq}"}).status_code == 403
    finally:
        admin.ok("PATCH", "/document-types/hearing_notice", json={"number_pattern": "城管听告字〔{year}〕第{seq:04d}号"})


def test_case_without_documents_lists_none(app_context, case_id, api):
    case_no = db.session.get(Instance, case_id).case_no
    assert api("sly").ok("GET", f"/cases/{case_no}/documents") == []


def test_a_document_id_beyond_the_integer_range_is_not_found(api):
    for path in ("/documents/99999999999999999999999", "/documents/99999999999999999999999/print"):
        assert api("admin").get(path).status_code == 404
