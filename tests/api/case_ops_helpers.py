"""Small BPMN processes for the case-operation tests, deployed over the API."""
from __future__ import annotations

from tests.api.test_definitions_api import upload

HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
          'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
          'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:citybpm="http://citybpm.dev/schema/1.0/bpmn" '
          'id="d" targetNamespace="http://citybpm.dev/tests">')


def process(process_id: str, body: str) -> bytes:
    return f'{HEADER}\n<bpmn:process id="{process_id}" isExecutable="true">\n{body}\n</bpmn:process>\n' \
           f'</bpmn:definitions>'.encode()


def chain(*nodes: str) -> str:
    """Sequence flows start → nodes… → end."""
    ids = ["start", *nodes, "end"]
    return "\n".join(f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>'
                     for a, b in zip(ids, ids[1:]))


def deploy(api, process_id: str, body: str) -> None:
    response = upload(api("admin"), process(process_id, body))
    assert response.status_code in (200, 201), response.text


def start(api, process_id: str, who: str = "sly", **variables) -> dict:
    return api(who).ok("POST", "/cases", 201, json={"process_key": process_id, "variables": variables})


def events(api, case_no: str, who: str = "admin") -> list[dict]:
    return api(who).ok("GET", f"/cases/{case_no}/events", params={"page_size": 100})


def case(api, case_no: str, who: str = "admin") -> dict:
    return api(who).ok("GET", f"/cases/{case_no}")


def open_nodes(api, case_no: str) -> list[str]:
    return sorted(t["node_id"] for t in case(api, case_no)["open_tasks"])
